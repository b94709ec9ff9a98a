# Align the app's port with what its upstream proxies to (incident 004: "upstream connect error ...
# Connection refused": the server ran on 3001, the proxy and NEXTAUTH_URL said 3000, and a remote
# database timed out). The database must answer from the host before anything changes; the health
# check reads the JSON field, since `contains: "healthy"` also matches "unhealthy".
runbook "port-mismatch" do
  description "precheck the database, set PORT in the env file, restart, prove the upstream's port is healthy"

  param :app,      default: "shop"
  param :port,     type: :port, default: 3000, doc: "the port the upstream proxies to"
  param :env_path, type: :path, default: "/srv/shop/.env.production"
  param :database, default: "127.0.0.1:5432", doc: "host:port of the database as the app host sees it"

  supervisor :pm2

  precheck do
    reachable database
  end

  step :configure do
    env_file env_path, set: { PORT: port }
  end

  step :restart, after: :configure do
    restart app
  end

  verify after: :restart, within: "20s" do
    env_file env_path, has: { PORT: port }
    running app
    listening port, address: "0.0.0.0"
    http "http://127.0.0.1:#{port}/status", status: 200, json: { "data.status": "healthy" }
  end

  rollback do
    restart app
  end
end
