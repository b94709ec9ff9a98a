import RunbookLanguage
import RunbookModel

/// An action the planner renders on one host: its commands, guards, undo and cleanup.
protocol PlannableAction: ActionKind {
    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedAction
}

/// An assertion the planner renders to a check on one host.
protocol PlannableAssertion: AssertionKind {
    func plan(_ planner: ActionPlanner) throws(ActionPlanner.Failure) -> PlannedCheck
}

/// An action or assertion whose one argument is an app (`stop app`, `running app`): its signature
/// and builder come from here.
protocol AppSubject {
    var app: Expr { get }
    init(app: Expr)
}

extension AppSubject {
    static var signature: Signature { Signature(positional: [("app", .string)]) }

    init?(_ args: inout CheckedArguments) {
        guard let app = args.positional(0) else { return nil }
        self.init(app: app)
    }
}

/// The built-in actions and assertions. Each is one file in Actions/ or Assertions/ (its signature,
/// builder and renderer) and one line here (docs/architecture.md, "Adding an action").
public enum BuiltIns {
    static let actions: [any PlannableAction.Type] = [
        RunAction.self, StopAction.self, StartAction.self, RestartAction.self, SaveAction.self, FreePortAction.self,
        CleanCacheAction.self, UploadAction.self, SymlinkAction.self, WaitForAction.self, ReloadAction.self, RemoveAction.self,
        EnvFileAction.self,
    ]

    static let assertions: [any PlannableAssertion.Type] = [
        RestartsAssertion.self, ListeningAssertion.self, NotListeningAssertion.self, HTTPAssertion.self, CommandAssertion.self,
        FileAssertion.self, RunningAssertion.self, MemoryAssertion.self, LogAssertion.self, ReachableAssertion.self, EnvFileAssertion.self,
    ]

    /// The language runbooks are written in: these actions and assertions.
    public static let vocabulary = Vocabulary(actions: actions.map { $0 }, assertions: assertions.map { $0 })
}

extension Validator {
    /// Parses and validates a file with the built-in actions and assertions.
    public static func load(_ file: SourceFile) -> Result<Runbook, DiagnosticList> { load(file, vocabulary: BuiltIns.vocabulary) }

    /// Reads a file from disk and loads it with the built-in actions and assertions.
    public static func load(path: String, bytes: [UInt8]) -> Result<Runbook, DiagnosticList> {
        load(path: path, bytes: bytes, vocabulary: BuiltIns.vocabulary)
    }
}
