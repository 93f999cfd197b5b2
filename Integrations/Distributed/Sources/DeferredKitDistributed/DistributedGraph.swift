// MARK: - DistributedGraph

/// A graph of durable promises under construction. `PromiseStore.submit` inserts it in one transaction.
///
/// Every node has a caller-chosen id. Submitting a node whose id exists with the same definition
/// (kind, handler, input, parents) is a no-op, so submitting the same graph twice is safe; an id that
/// exists with another definition fails the whole submission with `DistributedError.alreadyExists`.
/// Options (deadline, lease, attempts) are not part of the definition: the first submission's stand.
///
/// Parents may be nodes of this graph (added earlier) or promises already in the database.
///
/// ```swift
/// let total = try await store.submit { graph in
///     let shards = (0..<4).map { graph.call(CountShard.self, id: "count/\($0)", input: Shard(index: $0, of: 4)) }
///     return graph.then(graph.all(shards, id: "count/all"), Sum.self, id: "count/total")
/// }
/// ```
public struct DistributedGraph: Sendable {
    struct Node: Sendable {
        var id: String
        var kind: String
        var handler: String?
        var inputJSON: String?
        var parents: [String]
        var options: PromiseOptions
    }

    private(set) var nodes: [Node] = []

    public init() {}

    public var isEmpty: Bool { nodes.isEmpty }

    // MARK: Building

    /// A promise that runs `handler` on `input` as soon as a worker claims it.
    public mutating func call<Handler: DistributedHandler>(
        _ handler: Handler.Type, id: String, input: Handler.Input, options: PromiseOptions = .init()
    ) throws -> DistributedPromise<Handler.Output> {
        nodes.append(Node(id: id, kind: "call", handler: Handler.name, inputJSON: try JSONCoding.encode(input),
                          parents: [], options: options))
        return DistributedPromise(id: id)
    }

    /// A promise that runs `handler` on `parent`'s value once it resolves. When `parent` is rejected,
    /// this promise is rejected with the same failure and the handler does not run.
    public mutating func then<Handler: DistributedHandler>(
        _ parent: DistributedPromise<Handler.Input>, _ handler: Handler.Type, id: String,
        options: PromiseOptions = .init()
    ) -> DistributedPromise<Handler.Output> {
        nodes.append(Node(id: id, kind: "then", handler: Handler.name, inputJSON: nil, parents: [parent.id],
                          options: options))
        return DistributedPromise(id: id)
    }

    /// A promise that passes `parent`'s value through when it resolves, and runs `handler` on the
    /// `DistributedFailure` when it is rejected (timed out, cancelled, failed), settling with what
    /// the handler returns or throws.
    public mutating func recover<Handler: DistributedHandler>(
        _ parent: DistributedPromise<Handler.Output>, _ handler: Handler.Type, id: String,
        options: PromiseOptions = .init()
    ) -> DistributedPromise<Handler.Output> where Handler.Input == DistributedFailure {
        nodes.append(Node(id: id, kind: "recover", handler: Handler.name, inputJSON: nil, parents: [parent.id],
                          options: options))
        return DistributedPromise(id: id)
    }

    /// A promise that resolves with every parent's value, in order, once all have resolved; it is
    /// rejected with the first failure to arrive. It runs no handler: the database settles it in the
    /// transaction that settles its last parent. `all([])` resolves with `[]`.
    public mutating func all<Value>(
        _ parents: [DistributedPromise<Value>], id: String, options: PromiseOptions = .init()
    ) -> DistributedPromise<[Value]> {
        nodes.append(Node(id: id, kind: "all", handler: nil, inputJSON: nil, parents: parents.map(\.id),
                          options: options))
        return DistributedPromise(id: id)
    }

    // MARK: Encoding

    /// The JSON document `dk_submit` takes.
    func document() throws -> String {
        var seen: [String: Int] = [:]
        var records: [Any] = []
        for (position, node) in nodes.enumerated() {
            if let index = seen[node.id] {
                let earlier = nodes[index]
                guard earlier.kind == node.kind, earlier.handler == node.handler, earlier.parents == node.parents,
                      earlier.inputJSON == node.inputJSON else { throw DistributedError.duplicateInGraph(id: node.id) }
                continue
            }
            seen[node.id] = position
            var record: [String: Any] = [
                "id": node.id, "kind": node.kind, "parents": node.parents,
                "maxAttempts": node.options.maxAttempts, "leaseSeconds": node.options.lease.seconds,
                "backoffSeconds": node.options.backoff.seconds,
            ]
            record["handler"] = node.handler ?? NSNullMarker.null
            record["input"] = try node.inputJSON.map(JSONCoding.fragment) ?? NSNullMarker.null
            if let deadline = node.options.deadline { record["deadlineSeconds"] = deadline.seconds }
            records.append(record)
        }
        return try JSONCoding.document(records)
    }
}
