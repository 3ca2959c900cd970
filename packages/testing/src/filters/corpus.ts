// Filters from SailPoint's docs with the result ISC (Jayway) gives, pinned by matches-filter.test.ts.
// Every entry cites its source; inputs are the docs' own example input or samples of the kit.
import { sampleInput } from '../sample-builders.js'

const DOCS = 'https://developer.sailpoint.com/docs/extensibility/event-triggers/filtering-events'

/** The Identity Attributes Changed input of the docs page (DOCS, "Developing Filters"). */
export const DOCS_ATTRIBUTES_CHANGED = {
  identity: { id: 'ee769173319b41d19ccec6cea52f237b', name: 'john.doe', type: 'IDENTITY' },
  changes: [
    { attribute: 'department', oldValue: 'Sales', newValue: 'Marketing' },
    {
      attribute: 'manager',
      oldValue: { id: 'ee769173319b41d19ccec6c235423237b', name: 'robert.brown', type: 'IDENTITY' },
      newValue: { id: 'ee769173319b41d19ccec6c235423236c', name: 'mary.johnson', type: 'IDENTITY' },
    },
    { attribute: 'cloudLifecycleState', oldValue: 'active', newValue: 'terminated' },
  ],
}
const [DEPARTMENT, MANAGER, LIFECYCLE] = DOCS_ATTRIBUTES_CHANGED.changes

/** The docs' input with identity attributes, the object the docs' `!` example filters. */
const WITH_ATTRIBUTES = {
  ...DOCS_ATTRIBUTES_CHANGED,
  identity: { ...DOCS_ATTRIBUTES_CHANGED.identity, attributes: { email: 'john.doe@example.com' } },
}
const WITH_ALTERNATE_EMAIL = {
  ...DOCS_ATTRIBUTES_CHANGED,
  identity: {
    ...DOCS_ATTRIBUTES_CHANGED.identity,
    attributes: { email: 'john.doe@example.com', alternateEmail: 'jd@example.com' },
  },
}
/** An Account Aggregation Completed input with the warning the docs' set operators name. */
const AGGREGATION = { ...sampleInput('idn:account-aggregation-completed'), warnings: ['Account skipped'] }
/** An input with `attributes.created`, the field of the docs' comparison examples. */
const CREATED = {
  ...sampleInput('idn:identity-created'),
  attributes: { created: '2020-04-27T16:48:33.597Z' },
}

export interface CorpusEntry {
  readonly filter: string
  readonly input: unknown
  /** Whether ISC delivers the event: the filter selects at least one node. */
  readonly matched: boolean
  /** The selected nodes, where pinned. */
  readonly nodes?: unknown[]
  /** Where the filter comes from (and what was changed, if anything). */
  readonly source: string
}

export const CORPUS: readonly CorpusEntry[] = [
  // Expressions table
  {
    source: DOCS,
    filter: '$',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DOCS_ATTRIBUTES_CHANGED],
  },
  {
    source: DOCS,
    filter: '$.changes[?(@.attribute == "department")]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT],
  },
  {
    source: DOCS,
    filter: '$.identity',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DOCS_ATTRIBUTES_CHANGED.identity],
  },
  {
    source: DOCS,
    filter: '$..id',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [
      'ee769173319b41d19ccec6cea52f237b',
      'ee769173319b41d19ccec6c235423237b',
      'ee769173319b41d19ccec6c235423236c',
    ],
  },
  {
    source: DOCS,
    filter: '$.changes[*]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT, MANAGER, LIFECYCLE],
  },
  {
    source: DOCS,
    filter: '$.changes[1].attribute',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: ['manager'],
  },
  {
    source: DOCS,
    filter: '$.changes[0,1,2]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT, MANAGER, LIFECYCLE],
  },
  {
    source: DOCS,
    filter: '$.changes[0:2:1]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT, MANAGER],
  },
  {
    source: DOCS,
    filter: '$.changes[:2]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT, MANAGER],
  },
  {
    source: DOCS,
    filter: '$.changes[-1:]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [LIFECYCLE],
  },
  // Operators table: a root-level filter selects the root itself (Jayway), or nothing
  {
    source: DOCS,
    filter: '$[?($.identity.name == "john.doe")]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DOCS_ATTRIBUTES_CHANGED],
  },
  {
    source: DOCS,
    filter: '$[?($.identity.name != "george.washington")]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DOCS_ATTRIBUTES_CHANGED],
  },
  {
    source: `${DOCS} (name changed)`,
    filter: '$[?($.identity.name != "john.doe")]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: false,
    nodes: [],
  },
  {
    source: DOCS,
    filter: "$[?($.attributes.created > '2020-04-27T16:48:33.200Z')]",
    input: CREATED,
    matched: true,
    nodes: [CREATED],
  },
  {
    source: DOCS,
    filter: "$[?($.attributes.created >= '2020-04-27T16:48:33.597Z')]",
    input: CREATED,
    matched: true,
    nodes: [CREATED],
  },
  {
    source: DOCS,
    filter: "$[?($.attributes.created < '2020-04-27T16:48:33.200Z')]",
    input: CREATED,
    matched: false,
    nodes: [],
  },
  {
    source: DOCS,
    filter: "$[?($.attributes.created <= '2020-04-27T16:48:33.200Z')]",
    input: CREATED,
    matched: false,
    nodes: [],
  },
  {
    source: `${DOCS} (date changed)`,
    filter: "$[?($.attributes.created <= '2020-04-27T16:48:33.597Z')]",
    input: CREATED,
    matched: true,
  },
  {
    source: DOCS,
    filter: '$.changes[?(@.attribute == "department" && @.newValue =~ /US.*Support/i)]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: false,
    nodes: [],
  },
  {
    source: `${DOCS} (regex changed)`,
    filter: '$.changes[?(@.attribute == "department" && @.newValue =~ /mark.*/i)]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT],
  },
  {
    source: DOCS,
    filter: "$.changes[?(@.attribute == 'department' && @.newValue in ['sales','engineering'])]",
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: false,
    nodes: [],
  },
  {
    source: `${DOCS} (list changed)`,
    filter: "$.changes[?(@.attribute == 'department' && @.newValue in ['Marketing','Sales'])]",
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT],
  },
  {
    source: DOCS,
    filter: "$.changes[?(@.attribute == 'department' && @.newValue nin ['sales','engineering'])]",
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT],
  },
  {
    source: DOCS,
    filter: "$[?($.warnings subsetof ['Account skipped','Invalid account'])]",
    input: AGGREGATION,
    matched: true,
    nodes: [AGGREGATION],
  },
  {
    source: DOCS,
    filter: "$[?($.warnings anyof ['Account skipped','Invalid account'])]",
    input: AGGREGATION,
    matched: true,
    nodes: [AGGREGATION],
  },
  {
    source: `${DOCS} (list changed)`,
    filter: "$[?($.warnings anyof ['Invalid account'])]",
    input: AGGREGATION,
    matched: false,
    nodes: [],
  },
  {
    source: DOCS,
    filter: "$[?($.warnings noneof ['Account skipped','Invalid account'])]",
    input: AGGREGATION,
    matched: false,
    nodes: [],
  },
  {
    source: `${DOCS} (the docs omit the closing parenthesis)`,
    filter: '$[?($.warnings size 1)]',
    input: AGGREGATION,
    matched: true,
    nodes: [AGGREGATION],
  },
  {
    source: `${DOCS} (size changed)`,
    filter: '$[?($.warnings size 2)]',
    input: AGGREGATION,
    matched: false,
    nodes: [],
  },
  {
    source: DOCS,
    filter: '$.changes[?(@.attribute == "cloudLifecycleState" && @.newValue == "terminated")]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [LIFECYCLE],
  },
  {
    source: DOCS,
    filter: '$.identity.attributes[?(!@.alternateEmail)]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: false,
    nodes: [],
  },
  // A filter on an object below the root tests that object itself (Jayway), not each of its values
  {
    source: `${DOCS} (input with identity attributes)`,
    filter: '$.identity.attributes[?(!@.alternateEmail)]',
    input: WITH_ATTRIBUTES,
    matched: true,
    nodes: [WITH_ATTRIBUTES.identity.attributes],
  },
  {
    source: `${DOCS} (input with an alternateEmail)`,
    filter: '$.identity.attributes[?(!@.alternateEmail)]',
    input: WITH_ALTERNATE_EMAIL,
    matched: false,
    nodes: [],
  },
  {
    source: DOCS,
    filter: '$.changes[?(@.attribute == "cloudLifecycleState" || @.attribute == "department")]',
    input: DOCS_ATTRIBUTES_CHANGED,
    matched: true,
    nodes: [DEPARTMENT, LIFECYCLE],
  },
  // The design's subscription file (DESIGN.md, "Subscriptions as code") against the kit's sample:
  // Identity Created carries the department in `attributes`, not `identity.attributes`.
  {
    source: 'DESIGN.md, Subscriptions as code (the filter), against sampleInput(idn:identity-created)',
    filter: "$[?($.identity.attributes.department == 'Engineering')]",
    input: sampleInput('idn:identity-created'),
    matched: false,
    nodes: [],
  },
  {
    source: `${DOCS} (the == example, on the path where Identity Created carries the department)`,
    filter: "$[?($.attributes.department == 'Engineering')]",
    input: sampleInput('idn:identity-created'),
    matched: true,
    nodes: [sampleInput('idn:identity-created')],
  },
]

/** Filters from SailPoint's docs that Jayway accepts and jsonpathly cannot parse (README, "Filters"). */
export const NOT_SUPPORTED_LOCALLY: readonly { filter: string; source: string }[] = [
  { source: DOCS, filter: '$[?($.identity.name contains "john")]' },
  { source: DOCS, filter: '$[?($.changes.length() >= 3)]' },
  {
    source: 'https://github.com/json-path/JsonPath#filter-operators (empty takes true|false)',
    filter: '$[?($.errors empty true)]',
  },
]
