import Testing
@testable import DeferredKit

@Suite struct JobHeapTests {
    @Test func popsByPriorityThenPutOrderAfterRandomPushesUpdatesAndRemovals() throws {
        var generator = TimeSeededGenerator(seed: 42)
        var heap = JobHeap()
        var model: [Int: (priority: Int, sequence: UInt64)] = [:]
        var nextID = 0
        for step in 0..<5_000 {
            switch generator.next() % 4 {
            case 0, 1:
                nextID += 1
                let priority = Int(generator.next() % 10)
                heap.push(JobHeap.Entry(priority: priority, sequence: UInt64(step), id: nextID))
                model[nextID] = (priority, UInt64(step))
            case 2:
                guard let id = model.keys.randomElement(using: &generator) else { continue }
                let priority = Int(generator.next() % 10)
                let updated = heap.update(id, priority: priority)
                #expect(updated)
                model[id]!.priority = priority
            default:
                guard let id = model.keys.randomElement(using: &generator) else { continue }
                let removed = heap.remove(id)
                #expect(removed?.id == id)
                model[id] = nil
            }
            #expect(heap.count == model.count)
        }
        let expected = model.sorted { ($0.value.priority, $0.value.sequence) < ($1.value.priority, $1.value.sequence) }.map(\.key)
        #expect(heap.orderedIDs() == expected)
        var popped: [Int] = []
        while let entry = heap.popFirst() { popped.append(entry.id) }
        #expect(popped == expected)
        #expect(heap.isEmpty && !heap.contains(expected.first ?? 0))
    }
}
