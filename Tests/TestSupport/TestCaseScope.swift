import Testing

/// A trait that wraps each test case (not a suite as a whole) in a scope of its own, and applies
/// to every test of a suite it is given to: what ``LeavesNoProcesses`` and ``RunsOnBusyThreads``
/// share. A conforming type only writes `provideScope`.
public protocol TestCaseScope: TestTrait, SuiteTrait, TestScoping {}

extension TestCaseScope {
    /// Applies to every test of a suite it is given to.
    public var isRecursive: Bool { true }

    /// Scopes each test case, not the suite as a whole.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }
}
