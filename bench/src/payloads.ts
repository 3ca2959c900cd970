/** The benchmark's delivery: an `idn:identity-created` payload of the size ISC sends. */
export const identityCreated = JSON.stringify({
  identity: { type: 'IDENTITY', id: 'ee769173319b41d19ccec6c235423237b', name: 'Ada Lovelace' },
  attributes: {
    firstname: 'Ada',
    lastname: 'Lovelace',
    displayName: 'Ada Lovelace',
    email: 'ada.lovelace@example.com',
    department: 'Engineering',
    cloudLifecycleState: 'active',
  },
})

/** The bearer token every benchmark server accepts. */
export const TOKEN = 'bench-token-3c1f9a77d2'
