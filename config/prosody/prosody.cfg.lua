-- xmpp-gateway: the Prosody side (XEP-0114 external components).
--
-- Add these lines to /etc/prosody/prosody.cfg.lua after your VirtualHost
-- lines, or drop this file into /etc/prosody/conf.d/ (the Debian and Docker
-- configs Include that directory), then `prosodyctl reload`.
--
-- One Component per gateway network. Each domain and secret must equal an
-- entry under `components:` in the gateway's config (domain, secret).
-- Use subdomains of your own XMPP domain so users' servers can reach them.
--
-- Secrets: each line reads an environment variable (Prosody 0.12+ turns
-- ENV_NAME into the value of $NAME; docker-compose.yml sets them). Without
-- those variables, replace ENV_... with a quoted secret of your own, e.g.
--     component_secret = "3c9f...a long random string..."
-- (`openssl rand -hex 24` makes one). A component whose secret is unset
-- cannot log in: Prosody refuses it.
--
-- The component port (5347) carries the secret handshake in clear text:
-- keep it on loopback or a private network. Prosody 0.12 treats it as a
-- private port and listens on loopback only unless the global section (above
-- the first VirtualHost, not here) says otherwise; a gateway on another host
-- or in another container needs, for example:
--     component_interfaces = { "0.0.0.0" }   -- and a firewall on 5347
-- `npm start -- server-config --server prosody --config FILE` prints these
-- lines for your own gateway config, secrets included.

-- SMS: users message +15551234567@sms.example.org
Component "sms.example.org"
	component_secret = ENV_SMS_SECRET

-- Email: users message bob\40example.net@mail.example.org (XEP-0106 escaping)
Component "mail.example.org"
	component_secret = ENV_MAIL_SECRET

-- Webhooks: users message <endpoint>@hooks.example.org
Component "hooks.example.org"
	component_secret = ENV_HOOKS_SECRET
