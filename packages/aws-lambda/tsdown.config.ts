import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.shared.js'

export default defineConfig(packageBuild)
