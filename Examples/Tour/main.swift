import DeferredKit

let d = Deferred<Int>()
d.map { $0 * 2 }.whenComplete { print("map:", $0) }
d.resolve(21)

// deep chain
var tail = Deferred<Int>()
let root = tail
for _ in 0..<1_000_000 { tail = tail.map { $0 + 1 } }
root.resolve(0)
print("chain tail:", tail.result as Any)

// nested flatMap pending
let start = Deferred<Int>()
let innermost = Deferred<Int>()
var outer = innermost
for _ in 0..<1_000_000 { let next = outer; outer = start.flatMap { _ in next } }
start.resolve(1)
innermost.resolve(7)
print("nested flatMap:", outer.result as Any)

// cancel follows interest
let src = Deferred<Int> { d in print("canceller ran"); d.resolve(99) }
let a = src.map { $0 + 1 }
let b = src.map { $0 + 2 }
a.cancel()
print("a:", a.result as Any, "src:", src.isComplete)
b.cancel()
print("b:", b.result as Any, "src:", src.result as Any)

let t = Deferred { 5 }
print("tasklet:", t.result as Any)
let v = try await t.value
print("await:", v)
let p = Deferred<Int>()
Task { try await Task.sleep(for: .milliseconds(10)); p.resolve(3) }
print("await pending:", try await p.value)
let q = Deferred<Int>()
let waiter = Task { try await q.value }
waiter.cancel()
print("cancelled waiter:", await waiter.result, "q:", q.result as Any)
