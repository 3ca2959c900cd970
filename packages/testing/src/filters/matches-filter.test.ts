import { describe, expect, it } from 'vitest'
import { sampleInput } from '../sample-builders.js'
import { CORPUS, DOCS_ATTRIBUTES_CHANGED, NOT_SUPPORTED_LOCALLY } from './corpus.js'
import { matchesFilter } from './matches-filter.js'

describe('matchesFilter: the corpus of SailPoint docs filters', () => {
  it.each(CORPUS.map((entry) => [entry.filter, entry] as const))('%s', (_, entry) => {
    const result = matchesFilter(entry.filter, entry.input)
    expect(result.matched).toBe(entry.matched)
    if (entry.nodes) expect(result.nodes).toEqual(entry.nodes)
  })

  it.each(NOT_SUPPORTED_LOCALLY.map((entry) => [entry.filter]))(
    '%s: a SyntaxError naming what is not supported',
    (filter) => {
      expect(() => matchesFilter(filter, DOCS_ATTRIBUTES_CHANGED)).toThrow(/not supported locally/)
    },
  )
})

describe('matchesFilter: Jayway semantics where jsonpathly differs', () => {
  const input = sampleInput('idn:identity-attributes-changed')

  it('tests a root-level filter against the root object itself, with @ and with $', () => {
    expect(matchesFilter("$[?(@.identity.name == 'Ada Lovelace')]", input)).toEqual({
      matched: true,
      nodes: [input],
    })
    expect(matchesFilter("$[?($.identity.name == 'Ada Lovelace')]", input)).toEqual({
      matched: true,
      nodes: [input],
    })
    // jsonpathly alone iterates the root's values: this would select `identity` and `changes`.
    expect(matchesFilter("$[?($.identity.name == 'Grace Hopper')]", input)).toEqual({
      matched: false,
      nodes: [],
    })
  })

  it('keeps $ in a nested predicate pointing at the root, and paths after a root filter', () => {
    expect(
      matchesFilter(
        "$.changes[?(@.attribute == 'department' && $.identity.name == 'Ada Lovelace')].newValue",
        input,
      ),
    ).toEqual({ matched: true, nodes: ['Engineering'] })
    expect(matchesFilter("$[?(@.identity.name == 'Ada Lovelace')].identity.id", input).nodes).toEqual([
      input.identity.id,
    ])
    expect(matchesFilter('$[*]', { a: 1, b: [2] }).nodes).toEqual([1, [2]])
  })

  it('tests a filter on an object below the root against that object, and on a value selects nothing', () => {
    expect(matchesFilter("$.identity[?(@.name == 'Ada Lovelace')].id", input).nodes).toEqual([
      input.identity.id,
    ])
    expect(matchesFilter("$.identity[?(@.name == 'Grace Hopper')]", input).matched).toBe(false)
    expect(matchesFilter("$.identity.name[?(@ == 'Ada Lovelace')]", input).matched).toBe(false)
    expect(
      matchesFilter("$.changes[?(@.attribute == 'manager')].newValue[?(@.name == 'Grace Hopper')].id", input)
        .nodes,
    ).toEqual(['0f11f2a4a3c54b0e9c8a4cb4b2f1c0de'])
  })

  it('leaves an array root to the filter, element by element, as Jayway does', () => {
    expect(matchesFilter('$[?(@.n > 1)]', [{ n: 1 }, { n: 2 }, { n: 3 }]).nodes).toEqual([{ n: 2 }, { n: 3 }])
  })

  it('applies every Jayway operator it supports', () => {
    const doc = { n: 5, s: 'Engineering', tags: ['a', 'b'], none: [], nested: { deep: { x: true } } }
    const cases: [string, boolean][] = [
      ['$[?(@.n == 5)]', true],
      ['$[?(@.n != 5)]', false],
      ['$[?(@.n < 6 && @.n > 4)]', true],
      ['$[?(@.n <= 4 || @.n >= 6)]', false],
      ['$[?(@.s =~ /eng.*/i)]', true],
      ['$[?(@.s =~ /eng.*/)]', false],
      ['$[?(@.n in [1, 5])]', true],
      ['$[?(@.n nin [1, 5])]', false],
      ["$[?(@.tags subsetof ['a', 'b', 'c'])]", true],
      ["$[?(@.tags anyof ['c'])]", false],
      ["$[?(@.tags noneof ['c'])]", true],
      ['$[?(@.tags size 2)]', true],
      ['$[?(@.none empty)]', true],
      ['$[?(@.tags empty)]', false],
      ['$[?(!(@.n == 5))]', false],
      ['$[?(!@.missing)]', true],
      ['$[?(@.nested.deep.x == true)]', true],
      ['$.nested.deep.x', true],
      ['$.nested.deep.y', false],
    ]
    for (const [filter, matched] of cases) expect(matchesFilter(filter, doc).matched, filter).toBe(matched)
  })

  it('reads members the input has, never ones JavaScript objects inherit (toString, constructor, __proto__)', () => {
    const doc = { identity: { name: 'john.doe' }, changes: [{ attribute: 'department' }] }
    for (const filter of [
      '$.constructor',
      '$.identity.toString',
      "$['__proto__']",
      '$[?(@.hasOwnProperty)]',
      '$.changes[?(@.valueOf)]',
      '$[?(@.identity.constructor)]',
    ])
      expect(matchesFilter(filter, doc), filter).toEqual({ matched: false, nodes: [] })
    expect(matchesFilter('$.identity[?(!@.toString)].name', doc).nodes).toEqual(['john.doe'])
    const own = JSON.parse('{ "toString": "yes", "__proto__": { "a": 1 } }') as Record<string, unknown>
    expect(matchesFilter("$[?(@.toString == 'yes')]", own).nodes[0]).toBe(own)
    expect(matchesFilter("$['__proto__'].a", own).nodes).toEqual([1])
  })

  it('scans with $..[?(...)] as Jayway does: every object at or under the node, the object before its members', () => {
    const doc = { a: { b: [{ name: 'x' }, { name: 'y' }], name: 'x' }, name: 'x' }
    expect(matchesFilter("$..[?(@.name == 'x')]", doc).nodes).toEqual([doc, doc.a, doc.a.b[0]])
    expect(matchesFilter("$.a..[?(@.name == 'y')]", doc).nodes).toEqual([doc.a.b[1]])
    expect(matchesFilter("$..[?(@.attribute == 'department')]", DOCS_ATTRIBUTES_CHANGED).nodes).toEqual([
      DOCS_ATTRIBUTES_CHANGED.changes[0],
    ])
    const [, manager] = DOCS_ATTRIBUTES_CHANGED.changes
    expect(matchesFilter("$..[?(@.type == 'IDENTITY')].name", DOCS_ATTRIBUTES_CHANGED).nodes).toEqual([
      'john.doe',
      (manager!.oldValue as { name: string }).name,
      (manager!.newValue as { name: string }).name,
    ])
    expect(matchesFilter("$..[?(@.name == 'nobody')]", doc)).toEqual({ matched: false, nodes: [] })
  })

  it('matches =~ against the whole string, as Jayway (Java’s Matcher.matches) does', () => {
    const doc = { s: 'Engineering', tags: ['ab', 'b'] }
    expect(matchesFilter('$[?(@.s =~ /ngineer/)]', doc).matched).toBe(false)
    expect(matchesFilter('$[?(@.s =~ /.*ngineer.*/)]', doc).matched).toBe(true)
    expect(matchesFilter('$[?(@.s =~ /Eng|Sales/)]', doc).matched).toBe(false)
    expect(matchesFilter('$[?(@.s =~ /Eng.*|Sales/)]', doc).matched).toBe(true)
    expect(matchesFilter('$.tags[?(@ =~ /b/)]', doc).nodes).toEqual(['b'])
  })

  it('refuses a regular expression it cannot run as Java would, instead of never matching', () => {
    const doc = { s: 'Engineering' }
    for (const filter of ['$[?(@.s =~ /(/)]', '$[?(@.s =~ /\\bEng.*/)]', '$[?(@.s =~ /(?=E).*/)]'])
      expect(() => matchesFilter(filter, doc), filter).toThrow(SyntaxError)
  })

  it('answers the nodes of the input itself, not copies', () => {
    expect(matchesFilter('$.identity', input).nodes[0]).toBe(input.identity)
    expect(matchesFilter("$.changes[?(@.attribute == 'department')]", input).nodes[0]).toBe(input.changes[0])
  })

  it('throws a SyntaxError on a filter that does not parse', () => {
    expect(() => matchesFilter('$[?(@.a ==', input)).toThrow(SyntaxError)
    expect(() => matchesFilter('identity.name', input)).toThrow(/filter is not JSONPath/)
  })
})
