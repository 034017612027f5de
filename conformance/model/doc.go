// Package model keeps a model of the Contacts API's documented behaviour and judges
// answers against it, beyond what the contract's schemas can say: what one answer
// tells about a contact must agree with what every earlier answer told.
//
// The model learns only from what it observes and asserts only what the docs and
// design.md's readings make certain, so it raises no false alarm on traffic it did
// not generate (the validating proxy feeds it live traffic; the explorer feeds it
// its own). Every observation-based rule it checks:
//
//   - a contact's id, phone, name and created_at never change: the API has no
//     operation that changes them (the list's tag and the detail's first tag are
//     its name, phones are compared as the JSON number's exact text);
//   - a detail, block or delete answer is about the contact its path names;
//   - a deleted contact stays gone: no later answer may show it, and a second
//     delete cannot succeed;
//   - a contact belongs to one application: its id never shows up in another's
//     answers;
//   - in exclusive mode only (Config.Exclusive: nobody else writes to the
//     contacts observed, true of the explorer's own contacts, not of a shared
//     server behind a proxy), is_blocked changes only by a PUT, and each PUT flips
//     it.
//
// A model never assumes anything about a contact it has not seen: a contact that
// is not in its memory is learnt from the first answer that shows it, and the
// memory is capped (Config.MaxContacts), forgetting the oldest contact first, so
// the model's size does not grow with the traffic.
package model
