# Restart an app across a fleet one host at a time, stopping at the first unhealthy host
# (incident 002: memory leaks fixed by a reload, applied to every instance in turn).
runbook "rolling-restart" do
  description "restart the app host by host; stop the rollout when a host stays unhealthy"

  param :app,  default: "shop"
  param :port, type: :port, default: 3002

  rollout serial: 1, canary: 1, max_fail: 0, pause: "2s", rollback: :host
  lock "deploy"

  step :restart, retries: 1, retry_delay: "3s" do
    restart app
  end

  step :wait, after: :restart do
    wait_for http: "http://127.0.0.1:#{port}/health", status: 200, timeout: "30s"
  end

  verify within: "20s" do
    restarts app, max: 0, over: "5s"
    http "http://127.0.0.1:#{port}/health", status: "200-299"
  end
end
