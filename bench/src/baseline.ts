// The receiver of an earlier commit, loaded beside the current one in the same bench run: its
// packages/core is taken from git history (`git archive`, no checkout, no network), built with the
// repository's own tsdown and its own tsdown.config.ts of that commit into
// bench/.baseline/<full hash>/ (git-ignored), and kept there for the next run.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root (this file is bench/src/baseline.ts). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where built baselines are kept, one folder per commit. */
const CACHE = join(ROOT, 'bench', '.baseline')

/** A built core of an earlier commit: its ESM entry (import it with `pathToFileURL`). */
export interface BaselineCore {
  commit: string
  entry: string
}

function git(args: string[]): { ok: boolean; out: string } {
  const run = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' })
  return { ok: run.status === 0, out: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() }
}

/**
 * The core of `commit`, built once and cached by its full hash; `{ skipped }` with the reason when
 * it cannot be had (no git, or the commit is not in this clone's history, as in a shallow clone).
 * Only the JavaScript is built (`--no-dts`: the bench loads it, nothing type-checks it).
 *
 * @example
 * const core = baselineCore('59ebb0a')
 * if ('entry' in core) await import(pathToFileURL(core.entry).href)
 */
export function baselineCore(commit: string): BaselineCore | { skipped: string } {
  const resolved = git(['rev-parse', '--verify', '--quiet', `${commit}^{commit}`])
  if (!resolved.ok) {
    const shallow = git(['rev-parse', '--is-shallow-repository']).out === 'true'
    return {
      skipped: shallow
        ? `commit ${commit} is not in this shallow clone (git fetch --unshallow brings the history)`
        : `commit ${commit} is not in this clone's git history (${resolved.out || 'git rev-parse failed'})`,
    }
  }
  const hash = resolved.out
  const dir = join(CACHE, hash)
  const core = join(dir, 'packages', 'core')
  const entry = join(core, 'dist', 'index.mjs')
  if (existsSync(join(dir, '.built'))) return { commit: hash, entry }

  // Built in a folder of its own, then renamed: an interrupted build leaves no half-built cache.
  const building = `${dir}.building-${process.pid}`
  rmSync(building, { recursive: true, force: true })
  mkdirSync(building, { recursive: true })
  try {
    // Core's build config imports ../../tsdown.shared.js; its tsconfig extends ../../tsconfig.base.json.
    const files = ['packages/core', 'tsdown.shared.ts', 'tsconfig.base.json']
    const archive = spawnSync('git', ['archive', '--format=tar', hash, ...files], {
      cwd: ROOT,
      maxBuffer: 256 * 1024 * 1024,
    })
    if (archive.status !== 0) return { skipped: `git archive ${commit} failed: ${archive.stderr.toString()}` }
    const tar = spawnSync('tar', ['-x', '-C', building], { input: archive.stdout })
    if (tar.status !== 0) return { skipped: `tar could not unpack ${commit}: ${tar.stderr.toString()}` }
    // Its runtime dependencies (zod, raw-body) are today's core's: the same versions at this commit
    // (a dependency change would show as an import error here, not as a figure).
    symlinkSync(
      join('..', '..', '..', '..', '..', 'packages', 'core', 'node_modules'),
      join(building, 'packages', 'core', 'node_modules'),
    )
    // tsdown and its config's imports resolve up the tree, from the repository's node_modules.
    const build = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsdown'),
      ['--no-dts', '--logLevel', 'error'],
      {
        cwd: join(building, 'packages', 'core'),
        encoding: 'utf8',
      },
    )
    if (build.status !== 0 || !existsSync(join(building, 'packages', 'core', 'dist', 'index.mjs')))
      throw new Error(`building the core of ${commit} failed:\n${build.stdout}${build.stderr}`)
    writeFileSync(join(building, '.built'), `${hash}\n`)
    rmSync(dir, { recursive: true, force: true })
    renameSync(building, dir)
    return { commit: hash, entry }
  } finally {
    rmSync(building, { recursive: true, force: true })
  }
}
