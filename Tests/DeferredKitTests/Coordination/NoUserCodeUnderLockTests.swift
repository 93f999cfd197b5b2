import Testing
@testable import DeferredKit

extension Coordination {
    /// Nothing a coordination type releases while it holds its lock may run user code: keys, values,
    /// closures and Deferreds it drops are swapped out and released after unlocking. Each test drops an
    /// object whose `deinit` touches the same type's lock, and checks that the lock was free by then (a
    /// `deinit` that called the type instead would deadlock).
    @Suite struct NoUserCodeUnderLockTests {
        // MARK: Probes

        /// A key equal to every other key of the same `id`, whose `deinit` runs `onDeinit`.
        final class ProbeKey: Hashable, Sendable {
            let id: Int
            let onDeinit: (@Sendable () -> Void)?
            init(_ id: Int, onDeinit: (@Sendable () -> Void)? = nil) {
                self.id = id
                self.onDeinit = onDeinit
            }
            deinit { onDeinit?() }
            static func == (a: ProbeKey, b: ProbeKey) -> Bool { a.id == b.id }
            func hash(into hasher: inout Hasher) { hasher.combine(id) }
        }

        /// Whether `lock` is free right now, probed without blocking.
        static func isFree(_ lock: borrowing InternalLock) -> Bool {
            lock.mutex.withLockIfAvailable { _ in true } ?? false
        }

        // MARK: DeferredDictionary

        @Test func removingAKeyReleasesTheStoredKeyOutsideTheLock() {
            let dictionary = DeferredDictionary<ProbeKey, Int>()
            let freeAtDeinit = Shared<[Bool]>([])
            dictionary.updateValue(1, forKey: ProbeKey(1) { [dictionary] in
                freeAtDeinit.update { $0.append(Self.isFree(dictionary.state.lock)) }
            })
            #expect(freeAtDeinit.value.isEmpty)
            #expect(dictionary.removeValue(forKey: ProbeKey(1)) == 1)
            #expect(freeAtDeinit.value == [true])
        }

        @Test func replacedValueIsReleasedOutsideTheLock() {
            final class ProbeValue: Sendable {
                let onDeinit: @Sendable () -> Void
                init(onDeinit: @escaping @Sendable () -> Void) { self.onDeinit = onDeinit }
                deinit { onDeinit() }
            }
            let dictionary = DeferredDictionary<Int, ProbeValue>()
            let freeAtDeinit = Shared<[Bool]>([])
            dictionary.updateValue(ProbeValue { [dictionary] in
                freeAtDeinit.update { $0.append(Self.isFree(dictionary.state.lock)) }
            }, forKey: 1)
            dictionary.updateValue(ProbeValue {}, forKey: 1)
            #expect(freeAtDeinit.value == [true])
        }

        // MARK: DeferredMemoizer

        @Test func clearingAKeyReleasesItOutsideTheLock() {
            let freeAtDeinit = Shared<[Bool]>([])
            let cached = DeferredMemoizer { (_: ProbeKey) in Deferred<Int>.resolved(1) }
            _ = cached(ProbeKey(5) { [cached] in
                freeAtDeinit.update { $0.append(Self.isFree(cached.cache.lock)) }
            })
            cached.clear(ProbeKey(5))
            #expect(freeAtDeinit.value == [true])
        }
    }
}
