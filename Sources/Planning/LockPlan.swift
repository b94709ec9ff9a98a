import Wire

/// The host lock a run takes, as planned commands: a folder made with an atomic `mkdir` in a folder
/// shared by every user of the host (sticky, like /tmp). The default lock is the host's own (`host`),
/// which excludes every other lock; a named lock excludes the host lock and itself. A lock counts
/// only when its folder and owner file belong to one user, so a planted one can at worst make a run
/// refuse, naming that user; names are checked and every path is quoted, so nothing in a lock's
/// name or owner file is ever run.
public struct LockPlan: Sendable, Hashable {
    /// Where locks live on hosts unless `runbook_lock_dir` moves them.
    public static let defaultFolder = "/tmp/runbook-locks"
    /// The name of the whole-host lock.
    public static let hostLock = "host"

    public var folder: String
    public var name: String
    public var runID: String
    public var controller: String

    public init(folder: String?, name: String?, runID: String, controller: String) {
        self.folder = folder ?? Self.defaultFolder
        self.name = name ?? Self.hostLock
        self.runID = runID
        self.controller = controller
    }

    /// Lock names are path components: letters, digits, `.`, `_` and `-` only.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars.contains($0) }
    }

    var path: String { ShellQuote.quote(folder + "/" + name + ".lock") }

    /// Prints the holder of lock `$1` as owner-file lines, or flags a lock whose folder and owner file
    /// belong to different users (planted). `user=` is always the folder's owner, never the file's
    /// word: another user could write any name there and have a run blame the deploy user.
    /// The time a lock was taken is its folder's: the owner file is written into it then (a `date`
    /// per run saved; owner files of older runbooks carry a `started=` line, which wins).
    static let describeFunction = """
        holder() { a=$(stat -c %U "$1" 2>/dev/null); b=$(stat -c %U "$1/owner" 2>/dev/null); if [ -n "$a" ] && [ "$a" = "$b" ]; then grep -E '^(run_id|controller|started)=[A-Za-z0-9._:@+-]*$' "$1/owner"; grep -q '^started=' "$1/owner" || echo "started=$(date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ)"; echo "user=$a"; else echo "run_id=?"; echo "user=$a"; echo "planted=yes"; fi; }
        """

    /// Refuses (exit 4) a lock folder another user could remove or rename locks in: a symlink, one
    /// writable by others without the sticky bit, or one owned by a user other than root and this one
    /// (the owner of a folder may rename anything in it, sticky or not). A folder someone else made
    /// first would otherwise let them steal the lock of a running run.
    /// A sticky folder of this user's is safe as sh's own tests tell; only another's needs one `ls` for
    /// its mode and owner (this runs before every run: each process counts).
    static let folderCheck = """
        if [ -d "$d" ]; then if [ -O "$d" ] && [ -k "$d" ] && [ ! -h "$d" ]; then u=mine; else set -f; set -- $(ls -ldn "$d"); set +f; u=$3; case $1 in d???????w[!tT]*) u=open;; esac; fi; fi; if [ -d "$d" ] && { [ -h "$d" ] || [ "$u" = open ] || { [ "$u" != 0 ] && [ "$u" != mine ] && [ ! -O "$d" ]; }; }; then echo "the lock folder $d is not safe: $(ls -ld "$d" | awk '{print $1, "owner", $3}'); another user could remove locks in it: make it with \\`sudo install -d -m 1777 -o root $d\\`" >&2; exit 4; fi
        """

    /// Takes the lock (exit 0, `acquired`), or prints the holder and exits 3; exit 4 when the folder is
    /// not writable. The same run may take its own lock again (a `rollback RUN` after its controller died).
    public var acquire: ShellCommand {
        let conflicts =
            name == Self.hostLock
            ? "for o in \"$d\"/*.lock; do [ \"$o\" = \"$l\" ] || [ ! -d \"$o\" ] || { holder \"$o\"; echo \"lock=$(basename \"$o\" | tr -c 'A-Za-z0-9._\\n-' '?')\"; rm -rf \"$l\"; exit 3; }; done"
            : "o=\"$d\"/\(Self.hostLock).lock; if [ -d \"$o\" ]; then holder \"$o\"; echo \"lock=\(Self.hostLock).lock\"; rm -rf \"$l\"; exit 3; fi"
        return ShellCommand(
            """
            \(Self.describeFunction)
            d=\(ShellQuote.quote(folder)); l=\(path)
            if [ ! -d "$d" ]; then mkdir -p "$d" 2>/dev/null && chmod 1777 "$d" 2>/dev/null; fi
            \(Self.folderCheck)
            if mkdir "$l" 2>/dev/null; then
              printf 'run_id=%s\\ncontroller=%s\\nuser=%s\\n' \(ShellQuote.quote(runID)) \(ShellQuote.quote(controller)) "${LOGNAME:-?}" > "$l/owner" || { rm -rf "$l"; echo "cannot write $l/owner" >&2; exit 4; }
              \(conflicts)
              echo acquired
            elif [ -d "$l" ] && [ -O "$l" ] && \(Self.ownsRun(runID)); then
              echo acquired
            elif [ -d "$l" ]; then
              holder "$l"; exit 3
            else
              echo "cannot create $l (is $d writable by $(id -un)?)" >&2; exit 4
            fi
            """)
    }

    /// Releases the lock only when this run holds it (its own folder, its own run id).
    public var release: ShellCommand {
        ShellCommand("l=\(path); if [ -O \"$l\" ] && \(Self.ownsRun(runID)); then rm -rf \"$l\"; fi")
    }

    /// True when the owner file of `$l` names this run on its first line (where runbook writes it):
    /// `read` is built into sh, a `grep` would be one more process on every host.
    static func ownsRun(_ runID: String) -> String {
        "{ r=; IFS= read -r r < \"$l/owner\"; } 2>/dev/null; [ \"$r\" = \(ShellQuote.quote("run_id=" + runID)) ]"
    }

    /// Lists the locks in a folder: `NAME.lock<TAB>owner fields` per line, owner files read safely.
    public static func list(folder: String) -> ShellCommand {
        ShellCommand(
            """
            \(describeFunction)
            for l in \(ShellQuote.quote(folder))/*.lock; do [ -d "$l" ] || continue; n=$(basename "$l"); case $n in *[!A-Za-z0-9._-]*) continue;; esac; printf '%s\\t' "$n"; [ -O "$l" ] && printf 'mine=yes '; holder "$l" | tr '\\n' ' '; echo; done
            """)
    }

    /// Removes one lock by its checked name (never a name read from the host unchecked).
    public static func remove(folder: String, name: String) -> ShellCommand? {
        guard isValidName(name) else { return nil }
        return ShellCommand("rm -rf " + ShellQuote.quote(folder + "/" + name + ".lock"))
    }
}
