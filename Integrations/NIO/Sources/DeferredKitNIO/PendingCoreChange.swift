// Stand-in until the core's DeferredAbandonedError lands on main (issue 9); removed at the merge.
public struct DeferredAbandonedError: Error { public init() {} }
