// OpenCombine baselines, kept in their own file because OpenCombine's
// `Deferred` publisher would clash with DeferredKit's `Deferred`.

import OpenCombine

/// Per op: create a pending `Future`, subscribe one `sink`, fulfil it.
/// The sink adds the value to `Accumulator.shared` like every other observer.
@inline(never)
func combineFuturePendingObserveResolve(_ n: Int) {
    for i in 0 ..< n {
        var fulfil: Future<Int, Never>.Promise?
        let future = Future<Int, Never> { fulfil = $0 }
        let subscription = future.sink { v in Accumulator.shared.add(v) }
        fulfil!(.success(i))
        withExtendedLifetime(subscription) {}
    }
}
