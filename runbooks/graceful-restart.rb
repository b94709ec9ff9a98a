# Restart an app that depends on Redis, gracefully, only when its dependency is there
# (incident 001: the server hung or crashed when Redis was unreachable or REDIS_PASSWORD was wrong,
# and a load balancer had no /health to tell). Nothing is touched unless Redis answers from the host;
# a wrong password shows up as the app's own WRONGPASS log lines and the old env file comes back.
runbook "graceful-restart" do
  description "precheck Redis, set REDIS_PASSWORD, restart, prove /status, the log and no restarts"

  param :app,            default: "shop"
  param :port,           type: :port, default: 3002
  param :env_path,       type: :path, default: "/srv/shop/.env.production"
  param :redis,          default: "127.0.0.1:6379", doc: "host:port of Redis as the app host sees it"
  param :redis_password, secret: true, doc: "the password Redis expects"

  supervisor :pm2

  precheck do
    running app
    reachable redis
  end

  step :configure do
    env_file env_path, set: { REDIS_PASSWORD: redis_password }
  end

  step :restart, after: :configure do
    restart app
  end

  verify after: :restart, within: "20s" do
    running app
    restarts app, max: 0, over: "3s"
    http "http://127.0.0.1:#{port}/status", json: { "data.status": "healthy" }
    log app, not_contains: "WRONGPASS", since: :run
  end

  # After the env file is back, the app starts again with the password it had.
  rollback do
    restart app
  end
end
