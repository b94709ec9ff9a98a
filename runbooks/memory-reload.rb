# Give an app room under its memory limit and reload it without a restart (incident 002: the app was
# restarted at max_memory_restart 800M with a heap of 768M, "bad request" after a few hours; the fix
# raised the limits and ran `pm2 reload`). The app re-reads its env file on reload; the check is the
# RSS of its whole process tree against the limit, and a reload that overshoots is taken back.
runbook "memory-reload" do
  description "set the app's heap in its env file, reload it, prove RSS stays under the limit"

  param :app,      default: "shop"
  param :env_path, type: :path, default: "/srv/shop/.env.production"
  param :heap_mb,  type: :int, default: 896, doc: "what the app may hold (its BALLAST_MB / heap)"
  param :limit,    default: "1024M", doc: "the supervisor's memory limit (pm2 max_memory_restart)"

  supervisor :pm2

  precheck do
    running app
  end

  step :configure do
    env_file env_path, set: { BALLAST_MB: heap_mb }
  end

  # The app re-reads its settings on SIGHUP; on pm2 `reload app` (without signal:) is `pm2 reload`.
  step :reload, after: :configure do
    reload app, signal: :HUP
  end

  verify after: :reload, within: "10s" do
    running app
    log app, contains: "reloaded settings: BALLAST_MB=#{heap_mb}", since: :run
    memory app, max: limit
    restarts app, max: 0, over: "2s"
  end
end
