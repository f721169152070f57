package natslog

import "github.com/nats-io/nats-server/v2/server"

// The users of an embedded server that listens (Config.ListenAddr), and what each may
// do (docs/OPERATIONS.md "NATS permissions", docs/SECURITY.md):
//
//   - [User] ("climateledger", password in KeysDir/[PasswordFile]) is the nodes'
//     user: it alone may publish to SubjectPrefix + ">" (the log) and manage the
//     stream. Give it only to climateledger nodes.
//   - [AuditorUser] ("auditor", password in KeysDir/[AuditorPasswordFile]) reads:
//     stream info, single messages and ordered consumers on the stream, the
//     checkpoint requests and notices, and projections notices. It cannot publish to
//     the log, change or delete the stream, or submit (ledger.submit): a leaked
//     auditor password discloses what is public anyway.
//
// No other user exists; anonymous connections are refused.
const (
	// AuditorUser is the read-only user of a listening embedded server.
	AuditorUser = "auditor"
	// AuditorPasswordFile is the name, inside Config.KeysDir, of the file holding
	// AuditorUser's password (0600, generated on first start like [PasswordFile]).
	AuditorPasswordFile = "nats-auditor.password"
)

// AuditorPermissions are the permissions of [AuditorUser]: what `climateledger audit
// --nats` and a dashboard following notices need, and nothing that writes. Deny
// wins over allow in nats-server; the log's subjects are denied explicitly so that a
// broader allow added later cannot open them.
func AuditorPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				"$JS.API.INFO",
				"$JS.API.STREAM.INFO." + StreamName,
				"$JS.API.STREAM.MSG.GET." + StreamName,
				"$JS.API.DIRECT.GET." + StreamName, "$JS.API.DIRECT.GET." + StreamName + ".>",
				// Ordered consumers: ephemeral, created, read and removed by the reader.
				"$JS.API.CONSUMER.CREATE." + StreamName, "$JS.API.CONSUMER.CREATE." + StreamName + ".>",
				"$JS.API.CONSUMER.INFO." + StreamName + ".*",
				"$JS.API.CONSUMER.DELETE." + StreamName + ".*",
				"$JS.API.CONSUMER.MSG.NEXT." + StreamName + ".*",
				SubjectCheckpointLatest, SubjectCheckpointWitnessed,
			},
			Deny: []string{SubjectPrefix + ">", "ledger.submit", "$JS.API.STREAM.CREATE.>", "$JS.API.STREAM.UPDATE.>",
				"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.MSG.DELETE.>"},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{"_INBOX.>", SubjectCheckpoint, "projections.>"},
		},
	}
}

// listenUsers are the users of a listening embedded server: the nodes' user with
// every permission, and the read-only auditor.
func listenUsers(nodePassword, auditorPassword string) []*server.User {
	return []*server.User{
		{Username: User, Password: nodePassword},
		{Username: AuditorUser, Password: auditorPassword, Permissions: AuditorPermissions()},
	}
}
