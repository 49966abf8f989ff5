-- Prosody's whole config in docker-compose.yml (mounted over the image's
-- /etc/prosody/prosody.cfg.lua, so the global settings below really are
-- global). For a Prosody you already run, use prosody.cfg.lua beside this
-- file, or `npm start -- server-config --server prosody --config FILE`.
--
-- Secrets: Prosody 0.12 turns ENV_NAME into the value of $NAME; the compose
-- file passes SMS_SECRET, MAIL_SECRET and HOOKS_SECRET from .env.

admins = { }
modules_enabled = {
	"roster"; "saslauth"; "tls"; "dialback"; "disco"; "carbons"; "pep";
	"private"; "blocklist"; "vcard4"; "vcard_legacy"; "version"; "uptime";
	"time"; "ping"; "register"; "mam"; "csi_simple"; "smacks";
}
allow_registration = false
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
authentication = "internal_hashed"
storage = "internal"
log = { info = "*console" }
certificates = "certs"

-- The gateway connects from its own container: listen on the compose
-- network. 5347 is not published in docker-compose.yml, so only containers
-- on that network reach it (its handshake is not encrypted).
component_ports = { 5347 }
component_interfaces = { "0.0.0.0" }

VirtualHost "example.org"

-- SMS: users message +15551234567@sms.example.org
Component "sms.example.org"
	component_secret = ENV_SMS_SECRET

-- Email: users message bob\40example.net@mail.example.org (XEP-0106 escaping)
Component "mail.example.org"
	component_secret = ENV_MAIL_SECRET

-- Webhooks: users message <endpoint>@hooks.example.org
Component "hooks.example.org"
	component_secret = ENV_HOOKS_SECRET
