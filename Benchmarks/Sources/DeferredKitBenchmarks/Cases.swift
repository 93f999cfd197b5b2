// The registry of all cases, in table order.

/// Every case; `smoke` selects tiny sizes.
func allCases(smoke: Bool) -> [BenchCase] {
    harnessCases()
        + observeCases()
        + chainCases(smoke: smoke)
        + awaitCases()
        + combinatorCases(smoke: smoke)
        + lockCases()
        + jobQueueCases(smoke: smoke)
        + withdrawCases(smoke: smoke)
        + queueCases(smoke: smoke)
        + fanOutCases(smoke: smoke)
        + nioAdapterCases()
}

// MARK: - Harness self-check

/// Shows the malloc counter is exact: one known object per op must read
/// 1.00 allocs/op and 24 bytes/op.
func harnessCases() -> [BenchCase] {
    [BenchCase(
        name: "harness.one-object",
        summary: "allocate one 24-byte object per op (validates the malloc counter: expect 1.00 allocs/op, 24 bytes/op)",
        contenders: [
            .baseline("KnownObject()") { n in
                var sum = 0
                for i in 0 ..< n {
                    let o = makeKnownObject(i)
                    sum &+= o.value
                    blackHole(o)
                }
                verify(sum, triangular(n), "known-object sum")
            },
        ])]
}
