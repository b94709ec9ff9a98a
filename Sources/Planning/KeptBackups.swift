import Wire

/// The backups a passed run keeps on a host, so `rollback RUN` can still put it back, as planned
/// commands. The finish of a run writes its own cleanup script to `FOLDER/HOST/RUNID` (a folder of
/// the connecting user, 0700), then prunes: every other entry beyond the newest `count - 1`, by the
/// time it was written, is run and then removed. The finish runs under the host lock; each cleanup
/// is idempotent and an entry is removed only after its script succeeded, so a prune killed half
/// way, or two prunes at once (runs without the host lock), do no harm.
public struct KeptBackups: Sendable, Hashable {
    /// The host variable that sets how many runs' backups are kept (0: removed at the finish).
    public static let countVariable = "runbook_keep_backups"
    /// The host variable that moves the folder of kept cleanup scripts.
    public static let folderVariable = "runbook_backups_dir"
    /// As Capistrano's keep_releases: this run's and the one before.
    public static let defaultCount = 2
    /// Per user on the host, and kept across reboots (unlike /tmp).
    public static let defaultFolder = "$HOME/.local/state/runbook/kept"

    /// The folder as the variable gives it (nil: the default, with `$HOME` expanded on the host).
    public var folder: String?
    /// The inventory name of the host: hosts sharing a home folder keep their counts apart.
    public var host: String
    public var runID: String
    public var count: Int

    public init(folder: String?, host: String, runID: String, count: Int) {
        self.folder = folder
        self.host = host
        self.runID = runID
        self.count = count
    }

    /// `k=FOLDER/HOST`, quoted (the default folder leaves `$HOME` to the host's shell).
    var assignment: String {
        // `~/...` as a shell (and Ansible's path options) would read it: quoted, `~` is a folder name.
        let root =
            folder.map { $0 == "~" ? "\"$HOME\"" : $0.hasPrefix("~/") ? "\"$HOME\"/" + ShellQuote.quote(String($0.dropFirst(2))) : ShellQuote.quote($0) }
            ?? "\"\(Self.defaultFolder)\""
        return "k=" + root + "/" + ShellQuote.quote(Self.component(host))
    }

    var entry: String { "\"$k\"/" + ShellQuote.quote(runID) }

    /// Host names as one safe path component.
    static func component(_ name: String) -> String {
        let safe = String(
            name.unicodeScalars.map { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars.contains($0) ? Character($0) : "_" })
        return safe.hasPrefix(".") || safe.isEmpty ? "_" + safe : safe
    }

    /// Prefix of the line the finish prints when it could not keep the cleanup script (the cleanups
    /// then run at once, as with a count of 0).
    public static let keepFailed = "keep-failed"
    /// Prefix of the line the finish prints for an older run whose cleanup script failed (then its id).
    public static let pruneFailed = "prune-failed "
    /// Prefix of the line the finish prints for each older run whose backups it removed (then its id).
    public static let pruned = "pruned "

    /// Writes this run's cleanup script (through a temporary name, so an entry is never half written).
    func keep(_ cleanup: [ShellCommand]) -> ShellCommand {
        let script = (["s=0"] + cleanup.map { "( " + $0.script + " ) || s=1" } + ["exit $s"]).joined(separator: "\n")
        let temporary = "\"$k\"/" + ShellQuote.quote("." + runID + ".tmp")
        return ShellCommand(
            assignment + "; (umask 077 && mkdir -p \"$k\") && " + Self.owned + " && chmod 700 \"$k\" && printf '%s\\n' " + ShellQuote.quote(script) + " > "
                + temporary + " && mv -f " + temporary + " " + entry)
    }

    /// `$k` is a folder of the connecting user, not a symlink: in a shared `runbook_backups_dir`
    /// another user could plant `HOST` as a link to one of this user's folders, or as a folder of
    /// theirs holding links to this user's files, and the prune would run and remove those files.
    static let owned = "[ -d \"$k\" ] && [ ! -h \"$k\" ] && [ -O \"$k\" ]"

    /// `path` (one shell word) is a file of the connecting user's, not a symlink: an entry that may be
    /// run, removed or counted.
    static func ownedFile(_ path: String) -> String { "[ -f \(path) ] && [ ! -h \(path) ] && [ -O \(path) ]" }

    /// Runs and removes the cleanup scripts of older runs beyond the newest `count - 1` (never this
    /// run's, never a file of another user, never through a symlink). Each is first renamed to
    /// `.RUNID.pruning`, so the probe says gone before its script removes anything (a prune killed
    /// half way must not leave an entry whose backups are partly gone); renamed entries left by a
    /// killed prune are run again.
    var prune: ShellCommand {
        let mine = Self.ownedFile("\"$k/$r\"")
        return ShellCommand(
            assignment + "; if " + Self.owned + "; then ls -t \"$k\" | grep -E '^[A-Za-z0-9_][A-Za-z0-9._-]*$' | grep -vxF " + ShellQuote.quote(runID)
                + " | tail -n +\(max(count - 1, 0) + 1) | while IFS= read -r r; do if " + mine + "; then mv -f \"$k/$r\" \"$k/.$r.pruning\"; fi; done"
                + "; ls -A \"$k\" | grep -E '^[.][A-Za-z0-9_][A-Za-z0-9._-]*[.]pruning$' | while IFS= read -r p; do r=${p#.}; r=${r%.pruning}; if "
                + Self.ownedFile("\"$k/$p\"")
                + " && sh \"$k/$p\" >/dev/null 2>&1; then rm -f \"$k/$p\"; echo \"\(Self.pruned)$r\"; else echo \"\(Self.pruneFailed)$r\"; fi; done; fi"
        )
    }

    /// Removes this run's entry (its backups were put back by `rollback RUN`).
    public var forget: HostCommand {
        HostCommand(
            ShellCommand(
                assignment + "; if " + Self.owned + " && " + Self.ownedFile(entry) + "; then rm -f " + entry
                    + "; fi"), limit: 30)
    }

    /// Prefix of the lines the probe prints for entries kept after this run's (then the run id): later
    /// runs on this host, also from controllers whose journals this one cannot read.
    public static let newerPrefix = "newer "

    /// The line the probe prints when this run's backups are still kept.
    public static let keptLine = "kept"

    /// Prints `kept` when this run's cleanup script is still there (its backups were not pruned).
    /// Also lists the entries kept after it (newest first, as the prune reads them).
    public var probe: HostCommand {
        HostCommand(
            ShellCommand(
                assignment + "; if " + Self.owned + " && " + Self.ownedFile(entry) + "; then echo " + Self.keptLine
                    + "; ls -t \"$k\" | grep -E '^[A-Za-z0-9_][A-Za-z0-9._-]*$' | while IFS= read -r r; do [ \"$r\" = " + ShellQuote.quote(runID)
                    + " ] && break; echo \"" + Self.newerPrefix + "$r\"; done; else echo gone; fi"), limit: 30)
    }
}
