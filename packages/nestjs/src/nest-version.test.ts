import 'reflect-metadata'
import { readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Module } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import { expect, inject, it } from 'vitest'

// Each vitest project runs the module on one Nest: `nestjs` on the devDependencies (Nest 11),
// `nestjs-nest12` on compat/nest12 (see vitest.nest12.config.ts). This proves which one a project
// really loaded: every @nestjs package the tests import is the very module of the expected
// directory, whose major is the expected one, so the Nest 12 project cannot silently run Nest 11.
declare module 'vitest' {
  export interface ProvidedContext {
    /** The Nest major this project must run, and the directory its @nestjs packages come from. */
    nest: { major: string; dir: string }
  }
}

const { major, dir } = inject('nest')
const loaded: [string, string, unknown][] = [
  ['common', 'Module', Module],
  ['core', 'NestFactory', NestFactory],
  ['platform-express', 'ExpressAdapter', ExpressAdapter],
  ['platform-fastify', 'FastifyAdapter', FastifyAdapter],
  ['testing', 'Test', Test],
]

it.each(loaded)(`@nestjs/%s is Nest ${major}'s`, async (name, exported, value) => {
  const folder = join(dir, name)
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
  expect(manifest.version.split('.')[0]).toBe(major)
  const entry = pathToFileURL(realpathSync(join(folder, manifest.main ?? 'index.js'))).href
  const direct = await import(/* @vite-ignore */ entry)
  expect(value).toBe(direct[exported] ?? direct.default?.[exported])
})
