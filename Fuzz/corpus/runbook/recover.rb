# Recover an app from a crash loop caused by a port conflict and a stale build
# (incidents 000 and 003: PM2 showed 183 and 755 restarts, EADDRINUSE on 0.0.0.0:3002,
# an old next-server still holding the port, a .next cache with old compiled code,
# and a server listening on [::] only while nginx talks to 127.0.0.1).
runbook "recover" do
  description "stop, free the port, clean the build cache, rebuild, start, save, verify"

  param :app,   default: "shop", doc: "the supervisor's name for the app"
  param :port,  type: :port, default: 3002
  param :dir,   type: :path, default: "/srv/shop"
  param :build, type: :shell, default: "npm run build", doc: "the build command, run in dir"

  supervisor :pm2

  step :stop do
    stop app
  end

  step :free_port, after: :stop do
    free_port port, signal: :TERM, grace: "10s"
  end

  step :clean_cache, after: :stop do
    clean_cache "#{dir}/.next"
  end

  step :rebuild, after: :clean_cache, timeout: "10m" do
    run build, cwd: dir, env: { NODE_ENV: "production" }
  end

  step :start, after: [:rebuild, :free_port] do
    start "ecosystem.config.js", name: app, cwd: dir
  end

  step :save, after: :start do
    save
  end

  verify after: :save, within: "30s" do
    restarts app, max: 0, over: "10s"
    listening port, address: "0.0.0.0"
    http "http://127.0.0.1:#{port}/api/health", status: 200
  end
end
