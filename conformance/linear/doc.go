// Package linear checks that operations overlapping in time on a real server are
// explainable by some order of them: that the server is linearizable for the
// operations the docs define on one contact and on one application's list.
//
// Run plays rounds against a target, one at a time:
//
//   - A contact round creates one contact, finds its id in the list, reads its
//     is_blocked, then lets several clients loose on it at once, each sending a
//     few GETs, PUTs and DELETEs drawn from the seed, and reads it once more
//     when all are done (a toggle or a delete lost shows there if nowhere
//     else). Rounds lean in turn toward one write, toggles or deletes, and two
//     clients open with it, so that writes of one kind always meet: the races
//     a server loses when it reads, waits on its store and writes without a
//     lock. A DELETE in a round of toggles comes only as a client's last
//     operation, so that it does not end the toggling. The model is one
//     contact {exists, blocked}: GET answers 404 when it is gone, else 200 with
//     blocked; PUT answers 404 when gone, else flips blocked and answers the
//     new state; DELETE answers 404 when gone, else 200 and it is gone.
//   - A create round reads page 1's meta.total, then lets clients create a
//     batch each at once, reads the total once more when all are done, and
//     walks the list (bounded) for every row of every batch answered 201,
//     once. Rounds alternate: half the clients create while the others read
//     the total (readers meet batches being written), then every client
//     creates (batches meet batches). Batches hold two rows or more, no two of
//     a round the same number, so that part of a batch seldom reads as a whole
//     one. The model is the total: a create answered 201 adds its rows at
//     once, a read returns the total. A reader that sees part of a batch, or a
//     batch that is lost, fits no order. A create round needs the application
//     quiet: no other writer during the call, since any other create or
//     delete moves the total.
//
// Each history is checked with porcupine (github.com/anishathalye/porcupine),
// bounded in time by Config.CheckTimeout; a check that runs out of time is a
// note, not a finding. A round whose history holds an answer the model cannot
// read (a status other than 200 or 404 on a contact, a body without is_blocked,
// no answer at all) is not judged: that answer is reported on its own, with the
// contract's every-answer checks. A round that no order explains is one finding
// of kind check.Linear, saying which operations overlapped, when (ms from the
// round's start), from which client, and what they answered, with the contract
// rule it breaks and the request that got the answer no order explains.
//
// By default a run is 6 contact rounds and 3 create rounds of 4 clients, about
// 150 requests in all: some 20 ms against the mock on a 2-core machine. A
// caller that cannot keep the application quiet sets CreateRounds to -1.
//
// Everything a round makes is deleted afterwards, even when ctx is done (with a
// fresh, bounded context). Rows carry a phone and a name unique to the seed and
// the round ("Linear 01234 7", 6282…), by which the package finds its own and
// touches nothing else. Nothing a target sends is kept beyond check.MaxBody per
// answer, and the token never appears in a Result: requests are shown as curl
// with "Bearer ***", and every text from the target is scrubbed.
package linear
