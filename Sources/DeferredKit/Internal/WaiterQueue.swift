// MARK: - WaiterQueue

/// A first-in first-out queue whose entries can also be removed by ticket in O(1).
///
/// The coordination types keep their pending Deferreds here: `append` hands back a ticket that the
/// Deferred's canceller later uses to take itself out of the line. Removed entries leave a hole that
/// `popFirst` skips; storage is compacted as the head advances, so a million waiters served in order
/// cost amortised O(1) each. Not thread-safe: the owner keeps it inside its `LockedState`.
@usableFromInline
struct WaiterQueue<Element> {
    @usableFromInline var slots: [Element?] = []
    @usableFromInline var head = 0
    /// The ticket of `slots[0]`.
    @usableFromInline var base: UInt64 = 0
    /// Live (not removed, not popped) entries.
    @usableFromInline private(set) var count = 0

    @inlinable
    init() {}

    @inlinable
    var isEmpty: Bool { count == 0 }

    /// The ticket the next `append` will return (so a canceller can capture it before the entry exists).
    @inlinable
    var nextTicket: UInt64 { base + UInt64(slots.count) }

    @inlinable
    @discardableResult
    mutating func append(_ element: Element) -> UInt64 {
        let ticket = nextTicket
        slots.append(element)
        count += 1
        return ticket
    }

    /// Removes the entry of `ticket`, if it is still in the queue.
    @inlinable
    mutating func remove(ticket: UInt64, if matches: (Element) -> Bool = { _ in true }) -> Element? {
        guard ticket >= base + UInt64(head) else { return nil }
        let index = Int(ticket - base)
        guard index < slots.count, let element = slots[index], matches(element) else { return nil }
        slots[index] = nil
        count -= 1
        return element
    }

    /// Removes and returns the oldest entry.
    @inlinable
    mutating func popFirst() -> Element? {
        // An empty queue with no withdrawn slots is left untouched: writing to it would make its (shared,
        // empty) storage unique first, which cost an uncontended lock release a sixth of its instructions.
        if count == 0 && head == slots.count { return nil }
        while head < slots.count {
            let element = slots[head]
            slots[head] = nil
            head += 1
            if let element {
                count -= 1
                compact()
                return element
            }
        }
        compact()
        return nil
    }

    /// Removes and returns every entry, oldest first.
    @inlinable
    mutating func removeAll() -> [Element] {
        var all: [Element] = []
        all.reserveCapacity(count)
        while let element = popFirst() { all.append(element) }
        return all
    }

    @inlinable
    mutating func compact() {
        if head == slots.count {
            base += UInt64(head)
            head = 0
            if slots.capacity > 4096 { slots = [] } else { slots.removeAll(keepingCapacity: true) }
        } else if head >= 1024, head * 2 >= slots.count {
            base += UInt64(head)
            slots.removeFirst(head)
            head = 0
        }
    }
}

extension WaiterQueue {
    /// Puts `element` back in front of every entry (an element whose hand-off failed keeps its place).
    /// When there is no free slot in front, later tickets shift: use it only on a queue whose tickets are
    /// not used (the element buffer of `DeferredQueue`).
    @inlinable
    mutating func prepend(_ element: Element) {
        if head > 0 {
            head -= 1
            slots[head] = element
        } else {
            slots.insert(element, at: 0)
        }
        count += 1
    }
}

// A plain value: the owner's `LockedState` provides the exclusion.
extension WaiterQueue: Sendable where Element: Sendable {}
