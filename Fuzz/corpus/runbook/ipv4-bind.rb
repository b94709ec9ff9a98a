# Make a server that listens on IPv6 only ([::]:3002) listen on IPv4 as nginx expects
# (incident 000: "Server listening on IPv6 only (:::3002) while nginx expecting IPv4").
runbook "ipv4-bind" do
  description "set HOSTNAME=0.0.0.0 for the app, restart it, prove it listens on 0.0.0.0"

  param :app,      default: "shop"
  param :port,     type: :port, default: 3002
  param :env_file, type: :path, default: "/srv/shop/.env.production"

  supervisor :pm2

  step :configure do
    run "cp #{env_file} #{env_file}.before-ipv4 && sed -i '/^HOSTNAME=/d' #{env_file} && echo HOSTNAME=0.0.0.0 >> #{env_file}",
        unless: "grep -qx HOSTNAME=0.0.0.0 #{env_file}",
        undo: "mv #{env_file}.before-ipv4 #{env_file}"
  end

  step :restart, after: :configure do
    restart app
  end

  verify after: :restart, within: "30s" do
    listening port, address: "0.0.0.0"
    http "http://127.0.0.1:#{port}/", status: "200-399"
  end
end
