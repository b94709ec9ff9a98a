# Switch the live release to a new build, gated by the health check nobody ran by hand
# (incidents 001 and 004: no /health endpoint, upstream errors found by users first).
runbook "release" do
  description "upload a release, switch the current symlink, restart, gate on /health"

  param :app,     default: "shop"
  param :port,    type: :port, default: 3002
  param :root,    type: :path, default: "/srv/shop"
  param :archive, type: :path, default: "build/shop.tar.gz", doc: "the release archive on this machine"

  supervisor :pm2
  rollout serial: "25%", canary: 1, max_fail: 0, pause: "5s", rollback: :fleet

  step :upload do
    upload archive, to: "#{root}/releases/#{release}.tar.gz", mode: "0644"
  end

  step :unpack, after: :upload do
    run "mkdir -p #{root}/releases/#{release} && tar -xzf #{root}/releases/#{release}.tar.gz -C #{root}/releases/#{release}",
        creates: "#{root}/releases/#{release}/package.json",
        undo: "rm -rf #{root}/releases/#{release}"
  end

  step :switch, after: :unpack do
    symlink "#{root}/current", to: "#{root}/releases/#{release}"
  end

  step :restart, after: :switch do
    restart app
    wait_for port: port, timeout: "30s"
  end

  verify after: :restart, within: "30s" do
    http "http://127.0.0.1:#{port}/health", status: 200, contains: "ok"
    listening port, address: "0.0.0.0"
    restarts app, max: 0, over: "10s"
  end

  rollback do
    restart app
  end
end
