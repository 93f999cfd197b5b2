// `DeferredQueue` as an `AsyncSequence`: one or four producers, one consumer, against the standard
// library's `AsyncStream` and swift-async-algorithms' `AsyncChannel` (which, like a bounded queue,
// makes a producer wait for the consumer). ns/op is per element delivered.

import AsyncAlgorithms
import DeferredKit

func queueCases(smoke: Bool) -> [BenchCase] {
    let count = smoke ? 1_000 : 100_000
    return [queueStream(producers: 1, count: count), queueStream(producers: 4, count: count)]
}

private func queueStream(producers: Int, count: Int) -> BenchCase {
    let perProducer = count / producers
    let total = perProducer * producers
    let expected = producers * triangular(perProducer)
    return BenchCase(
        name: "queue.stream/producers=\(producers)",
        summary: "\(producers) producer task(s) send \(total) elements in all; one consumer iterates them",
        opsPerIteration: total, opName: "element",
        contenders: [
            .ours { n in
                for _ in 0 ..< n {
                    let queue = DeferredQueue<Int>()
                    let sent = Task {
                        await withTaskGroup(of: Void.self) { group in
                            for _ in 0 ..< producers {
                                group.addTask { for i in 0 ..< perProducer { queue.put(i) } }
                            }
                        }
                        queue.finish()
                    }
                    var sum = 0
                    do {
                        for try await element in queue { sum &+= element }
                    } catch {
                        fatalError("the queue failed: \(error)")
                    }
                    await sent.value
                    verify(sum, expected, "sum of received elements")
                }
            },
            .baseline("AsyncStream") { n in
                for _ in 0 ..< n {
                    let (stream, continuation) = AsyncStream<Int>.makeStream()
                    let sent = Task {
                        await withTaskGroup(of: Void.self) { group in
                            for _ in 0 ..< producers {
                                group.addTask { for i in 0 ..< perProducer { continuation.yield(i) } }
                            }
                        }
                        continuation.finish()
                    }
                    var sum = 0
                    for await element in stream { sum &+= element }
                    await sent.value
                    verify(sum, expected, "sum of received elements")
                }
            },
            .baseline("AsyncChannel") { n in
                for _ in 0 ..< n {
                    let channel = AsyncChannel<Int>()
                    let sent = Task {
                        await withTaskGroup(of: Void.self) { group in
                            for _ in 0 ..< producers {
                                group.addTask { for i in 0 ..< perProducer { await channel.send(i) } }
                            }
                        }
                        channel.finish()
                    }
                    var sum = 0
                    for await element in channel { sum &+= element }
                    await sent.value
                    verify(sum, expected, "sum of received elements")
                }
            },
        ],
        targets: [.time("AsyncStream", 1.0)])
}
