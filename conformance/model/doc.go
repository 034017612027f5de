// Package model keeps a model of the Contacts API's documented behaviour and judges
// answers against it, beyond what the contract's schemas can say: what one answer
// tells about a contact must agree with what every earlier answer told.
//
// The model learns only from what it observes and asserts only what the docs and
// the contract's readings make certain, so it raises no false alarm on traffic it did
// not generate (the validating proxy feeds it live traffic; the explorer feeds it
// its own). Every observation-based rule it checks:
//
//   - a contact's id, phone, name and tags never change: the API has no
//     operation that changes them (the list's tag is its name and the detail's tags hold
//     it; phones are compared by exact value, never through a float64); nor does
//     its created_at, but that is a reading (contactkit.ReadingCreatedAtStable:
//     the docs' own PUT example shows another time), so a change only warns;
//   - a detail, block or delete answer is about the contact its path names;
//   - a deleted contact stays gone: no later answer may show it, and a second
//     delete cannot succeed;
//   - a contact belongs to one application: its id never shows up in another's
//     answers;
//   - for a contact the caller claims (Model.Claim: it created the contact and
//     nobody else writes to it, true of the explorer's own contacts, not of a
//     shared server behind a proxy), is_blocked changes only by a PUT, each PUT
//     flips it, and it is not gone until a delete of it succeeded.
//
// A model never assumes anything about a contact it has not seen: a contact that
// is not in its memory is learnt from the first answer that shows it, and the
// memory is capped (Config.MaxContacts), forgetting the oldest contact first, so
// the model's size does not grow with the traffic.
package model
