import 'reflect-metadata'
import { readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Module } from '@nestjs/common'
import { DiscoveryModule, NestFactory, RouterModule } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { Test } from '@nestjs/testing'
import { expect, inject, it } from 'vitest'

// Each vitest project runs the module on one Nest: `nestjs` on the devDependencies (Nest 11),
// `nestjs-nest12` on compat/nest12 (see vitest.nest12.config.ts). This proves which one a project
// really loaded: every @nestjs package the tests import is the very module of the expected
// directory, whose major is the expected one, and so are the ones the module's sources use, so the
// Nest 12 project cannot silently run Nest 11.
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

it(`our sources run on Nest ${major} too: no CommonJS @nestjs module of another major is loaded`, async () => {
  const { TriggersModule } = await import('./index.js')
  await import('./triggers.fastify.js')
  // The @nestjs/core classes the sources use are the very ones this file imported (checked above).
  expect(Reflect.getMetadata('imports', TriggersModule)).toContain(DiscoveryModule)
  const imports = TriggersModule.forRoot({ auth: { type: 'none' } }).imports ?? []
  expect(imports.map((entry) => ('module' in entry ? entry.module : entry))).toContain(RouterModule)
  // Nest 11 is CommonJS: loaded by anything (a source's import the alias missed), it is in require.cache.
  const majors = new Map<string, string>()
  for (const path of Object.keys(createRequire(import.meta.url).cache)) {
    const folder = /^(.*[/\\]node_modules[/\\]@nestjs[/\\][^/\\]+)[/\\]/.exec(path)?.[1]
    if (folder && !majors.has(folder))
      majors.set(folder, JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).version.split('.')[0])
  }
  expect([...majors].filter(([, loaded]) => loaded !== major)).toEqual([])
  if (major === '11') expect(majors.size).toBeGreaterThan(0) // the scan sees Nest 11 where it is loaded
})
