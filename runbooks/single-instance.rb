# One instance of the app on its port behind the load balancer (incident 003: two PM2 processes,
# proxy-server and proxy-service, both bound port 3000: 755 restarts on EADDRINUSE). Take the
# duplicate out of the supervisor (kept, so a rollback puts it back as it was), restart the real one,
# and prove it runs alone: online with 0 restarts, listening on IPv4, healthy, no EADDRINUSE since.
runbook "single-instance" do
  description "remove the duplicate from the supervisor, restart the app, prove a single healthy instance"

  param :app,       default: "proxy-service"
  param :duplicate, default: "proxy-server"
  param :port,      type: :port, default: 3000

  supervisor :pm2

  step :remove_duplicate do
    remove duplicate
  end

  step :restart, after: :remove_duplicate do
    restart app
  end

  step :save, after: :restart do
    save
  end

  verify after: :save, within: "20s" do
    running app
    restarts app, max: 0, over: "3s"
    listening port, address: "0.0.0.0"
    http "http://127.0.0.1:#{port}/health", status: 200
    log app, not_contains: "EADDRINUSE", since: :verify
  end
end
