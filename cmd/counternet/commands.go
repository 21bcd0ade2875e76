package main

import (
	"context"
	"io"
)

// command runs one subcommand with its arguments.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// cmdSpec is one entry of the command table: what help prints, what
// completion offers and what run dispatches to come from it alone. A spec
// either runs (run) or groups subcommands (subs), never both.
type cmdSpec struct {
	name     string
	summary  string   // one line, for the list of commands
	synopsis []string // usage lines, each starting "counternet ..."
	about    string   // what the command does, in a paragraph or two
	examples []string // command lines, an optional "# comment" after each
	run      command
	subs     []*cmdSpec
	// noArgs: the command takes flags only; a stray argument is a usage
	// error found before the command starts anything.
	noArgs bool
	// complete names what a positional argument completes to:
	// "commands" (the command table), "queries" (the saved queries),
	// "shells", "none" (nothing to offer), or "" for file names.
	complete string
}

// commands is the command table, in the order help lists it.
var commands []*cmdSpec

func init() { commands = commandTable() }

func commandTable() []*cmdSpec {
	var t []*cmdSpec
	for _, group := range [][]*cmdSpec{operationCommands(), analysisCommands(), exchangeCommands(), toolCommands()} {
		t = append(t, group...)
	}
	return t
}

// operationCommands are the commands that collect, load and watch.
func operationCommands() []*cmdSpec {
	return []*cmdSpec{
		{name: "demo", run: runDemo, noArgs: true,
			summary:  "collect fixture markets through a local SOCKS proxy into NATS and ClickHouse, print the first analysis",
			synopsis: []string{"counternet demo [--keep] [--seed N] [--data DIR]"},
			about: "Starts fixture markets behind a local SOCKS5 proxy, an embedded NATS JetStream and a managed\n" +
				"ClickHouse, collects every market, loads the events and prints the first analysis. It starts\n" +
				"from an empty data directory each time (<data_dir>/demo unless --data says otherwise).",
			examples: []string{"counternet demo", "counternet demo --keep   # leave the servers up to query them, until Ctrl-C"}},
		{name: "collect", run: runCollect, noArgs: true,
			summary:  "crawl the configured site files once through Tor and publish events",
			synopsis: []string{"counternet collect [--source NAME,...]"},
			about: "Crawls every site file the config names (or only --source) once through Tor, extracts and\n" +
				"normalizes what it finds and publishes the events on NATS JetStream. Prints one summary line\n" +
				"per source; exits 1 when a source failed.",
			examples: []string{"counternet collect", "counternet collect --source nova,harbor --config /etc/counternet/collector.yaml"}},
		{name: "run", run: runRun, noArgs: true,
			summary:  "run the configured roles (scheduled collectors, loader) as a service, with metrics",
			synopsis: []string{"counternet run [--config FILE]"},
			about: "Runs the roles of the config as a long-lived service: scheduled collections, the loader and\n" +
				"the metrics endpoint. SIGHUP reloads the site files; SIGTERM stops within run.shutdown_grace.",
			examples: []string{"counternet run --config /etc/counternet/collector.yaml", "kill -HUP $(pidof counternet)   # reload site files"}},
		{name: "status", run: runStatus, noArgs: true,
			summary:  "per source the last and next run, selector health; the loader's backlog",
			synopsis: []string{"counternet status [--config FILE]"},
			about: "Prints, per configured source, the last run and its outcome, pages, failures, listings,\n" +
				"selector health and the next scheduled run; then the loader's backlog and the events waiting\n" +
				"in the outbox. It reads; it creates nothing.",
			examples: []string{"counternet status", "COUNTERNET_DATA_DIR=/var/lib/counternet counternet status"}},
		{name: "load", run: runLoad, noArgs: true,
			summary:  "load events from JetStream into ClickHouse",
			synopsis: []string{"counternet load [--until-idle]"},
			about: "Consumes events from JetStream and inserts them into ClickHouse in batches, acknowledging\n" +
				"each message only after ClickHouse accepted it. Messages it cannot load go to the dead-letter\n" +
				"stream with the reason. Runs until stopped, or with --until-idle until every event is loaded;\n" +
				"then it merges into one part what the load left in several of the tables the routes and\n" +
				"vendor_links views read (not with load.compact_interval 0), as the loader of counternet run\n" +
				"does every compact_interval.",
			examples: []string{"counternet load", "counternet load --until-idle   # drain the backlog, then exit"}},
		{name: "dead-letters", run: runDeadLetters, noArgs: true,
			summary:  "list the messages the loader could not load, with the reason (--show N: one in full)",
			synopsis: []string{"counternet dead-letters [--from SEQ] [--limit N]", "counternet dead-letters --show SEQ"},
			about:    "Lists the messages the loader dead-lettered, with the reason each was refused; --show prints one in full, payload included.",
			examples: []string{"counternet dead-letters", "counternet dead-letters --show 12"}},
		{name: "migrate", run: runMigrate, noArgs: true,
			summary:  "apply ClickHouse migrations",
			synopsis: []string{"counternet migrate [--config FILE]"},
			about: "Creates the database if needed, applies the ClickHouse migrations not yet applied and loads\n" +
				"the reference data and partner directory. Read commands never do this; they say\n" +
				"\"run counternet migrate\" when the schema is behind.",
			examples: []string{"counternet migrate", "COUNTERNET_CLICKHOUSE_DSN=clickhouse://writer@ch1:9000/counternet counternet migrate"}},
		{name: "check", run: runCheck, noArgs: true,
			summary:  "validate the config and every site file",
			synopsis: []string{"counternet check [--config FILE]"},
			about: "Validates the config, every site file it names and the partner directory, reporting every\n" +
				"error with file and line; exits 1 on any.",
			examples: []string{"counternet check", "counternet check --config /etc/counternet/collector.yaml"}},
	}
}

// analysisCommands are the commands for evidence, site files and analysis.
func analysisCommands() []*cmdSpec {
	return []*cmdSpec{
		{name: "capture", summary: "the evidence store: capture show SHA256 prints an archived response (WARC evidence)",
			about:    "Reads the evidence store: the archived responses records rest on.",
			examples: []string{"counternet capture show 3f5a…e9   # the sha256 a record's capture_sha256 names"},
			subs: []*cmdSpec{
				{name: "show", run: runCaptureShow, complete: "none",
					summary:  "print an archived response (status line, headers, body) by its sha256",
					synopsis: []string{"counternet capture show [--head] SHA256"},
					about: "Prints the archived response stored under a capture hash, after verifying it against the\n" +
						"hash; where it is archived (WARC file and offset) goes to stderr.",
					examples: []string{"counternet capture show 3f5a…e9 > page.http", "counternet capture show --head 3f5a…e9"}},
			}},
		{name: "pipeline", summary: "test site files against their saved pages, extract one page",
			about:    "Tools for writing site files.",
			examples: []string{"counternet pipeline test pipelines/*.yaml"},
			subs: []*cmdSpec{
				{name: "test", run: runPipelineTestCmd,
					summary:  "extract each site file's saved pages and print differences from the expected records",
					synopsis: []string{"counternet pipeline test [--update] SITE.yaml..."},
					about: "Extracts every saved page of each site file's tests section and prints field-by-field\n" +
						"differences from the expected records (test: record i: field: want, got); exits 1 on any.\n" +
						"--update rewrites the expectation files instead.\n" +
						"Records whose expectations state normalized values (a \"normalized:\" map of event paths,\n" +
						"e.g. price.amount, price_usd, ships_to, posted_at) are normalized as the collector would\n" +
						"(rates from the config's fx section) and compared too; a value that does not normalize is\n" +
						"a difference unless listed under normalized.unparsed.",
					examples: []string{"counternet pipeline test pipelines/*.yaml", "counternet pipeline test --update pipelines/nova.yaml   # after changing a selector"}},
				{name: "extract", run: runPipelineExtractCmd,
					summary:  "print the records, links and misses one saved page yields, as JSON",
					synopsis: []string{"counternet pipeline extract [--normalized] [--content-type CT] [--captured TIME] --page KIND --url URL SITE.yaml PAGE.html"},
					about: "Prints the records, links and misses one saved page yields, as JSON; with --normalized the\n" +
						"events the collector would publish instead, each with the values that did not normalize and\n" +
						"why. The page is decoded as the crawler decodes it (--content-type: the header it came with);\n" +
						"--captured (RFC 3339 or YYYY-MM-DD) is when it was fetched.",
					examples: []string{"counternet pipeline extract --page listing --url http://nova…onion/item/7 pipelines/nova.yaml saved.html",
						"counternet pipeline extract --normalized --captured 2025-03-01 --page listing --url http://x.onion/i/1 site.yaml page.html"}},
			}},
		{name: "query", run: runQuery, complete: "queries",
			summary:  "run a saved query, print its SQL, or list the saved queries",
			synopsis: []string{"counternet query NAME [--param name=value]... [--format table|csv|json] [--limit N] [--cut N] [--synthetic]", "counternet query NAME --sql [--param name=value]...", "counternet query --list"},
			about: "Runs a saved analyst query against ClickHouse and prints its rows. It only reads: a data\n" +
				"directory holding no warehouse is an error, not an empty answer. --sql prints the statement\n" +
				"with its parameters filled in, for clickhouse-client; --list lists the queries and parameters.",
			examples: []string{"counternet query --list", "counternet query top-routes --param days=365",
				"counternet query cooperation --param requesting=NL --param partner=CO --format json",
				"counternet query price-per-gram-by-origin --param substance=cocaine --sql | clickhouse-client"}},
		linksCommand(),
		{name: "chain", summary: "follow the money: chain sync, analyze, tags, request (draft preservation request), tx",
			about: "Follows the money on the Bitcoin chain. A chain source comes from --sources FILE (name one\n" +
				"with --source NAME), or from --rpc URL (btcd --txindex --addrindex; --rpc-user, password from\n" +
				"$COUNTERNET_CHAIN_RPC_PASSWORD) or --esplora URL.",
			examples: []string{"counternet chain sync --sources chains.yaml --hops 2", "counternet chain request --requesting DE --country LT"},
			subs: []*cmdSpec{
				{name: "sync", run: chainSync, noArgs: true,
					summary:  "fetch the transactions of every BTC address seen, and up to --hops beyond, then analyze",
					synopsis: []string{"counternet chain sync (--sources FILE [--source NAME] | --rpc URL [--rpc-user U] | --esplora URL) [--tor] [--hops N]"},
					about: "Fetches the transactions of every Bitcoin address seen in listings, and of their\n" +
						"counterparts up to --hops beyond, into ClickHouse; then reloads the tags and recomputes\n" +
						"clusters and flows (as chain analyze).",
					examples: []string{"counternet chain sync --sources chains.yaml", "counternet chain sync --esplora http://…onion/api --tor --hops 1"}},
				{name: "analyze", run: chainAnalyze, noArgs: true,
					summary:  "reload the tags, recompute address clusters and vendor flows",
					synopsis: []string{"counternet chain analyze [--tags DIR] [--flow-hops N]"},
					about:    "Reloads the attribution tags, recomputes address clusters and the flows from vendors to tagged services.",
					examples: []string{"counternet chain analyze", "counternet chain analyze --flow-hops 6"}},
				{name: "tags", run: chainTags, noArgs: true,
					summary:  "validate the tag files (--check) or load them",
					synopsis: []string{"counternet chain tags [--tags DIR] [--check]"},
					about:    "Validates the attribution tag files and, without --check, loads them into ClickHouse.",
					examples: []string{"counternet chain tags --check", "counternet chain tags --tags /etc/counternet/tags"}},
				{name: "request", run: chainRequest, noArgs: true,
					summary:  "write a draft preservation request for the services in one country",
					synopsis: []string{"counternet chain request --requesting CC --country CC [--authority NAME] [--case REF] [--out FILE]"},
					about: "Writes a draft preservation request to the services in one country (--country) that\n" +
						"flows from vendors reach, from the requesting country (--requesting).",
					examples: []string{"counternet chain request --requesting DE --country LT --case 2025-117 --out request.txt"}},
				{name: "tx", run: chainTx, complete: "none",
					summary:  "print one transaction as the chain source returns it",
					synopsis: []string{"counternet chain tx TXID (--sources FILE | --rpc URL | --esplora URL)"},
					about:    "Prints one transaction as the chain source returns it: inputs, outputs, fee and whether it is CoinJoin-shaped.",
					examples: []string{"counternet chain tx 4a5e1e4b…3b --esplora http://127.0.0.1:3002/api"}},
			}},
		{name: "gen", run: runGen, noArgs: true,
			summary:  "write N synthetic listing observations to their own database, <database>_synthetic",
			synopsis: []string{"counternet gen [--listings N] [--seed N] [--weeks N] [--batch N]"},
			about: "Writes synthetic listing and vendor observations straight to ClickHouse, for benchmarks and\n" +
				"for trying queries. They go to a database of their own (<database>_synthetic), never among\n" +
				"collected observations; counternet query --synthetic reads it.",
			examples: []string{"counternet gen --listings 1000000", "counternet query top-routes --synthetic"}},
	}
}

// exchangeCommands are the commands that exchange packages with partner agencies.
func exchangeCommands() []*cmdSpec {
	return []*cmdSpec{
		{name: "export", run: runExport, noArgs: true,
			summary:  "write a signed, marked, audited package for a partner agency",
			synopsis: []string{"counternet export --partner ID --tlp LABEL --purpose TEXT --legal-basis TEXT -o FILE [selection flags]"},
			about: "Selects records from ClickHouse for a partner agency and writes one signed (and, for a partner\n" +
				"with an age key, encrypted) package, or refuses with the reason. Every attempt is audited,\n" +
				"refusals included. Select with --vendor, --market, --route, --jurisdiction, --since, --until\n" +
				"or --case-file.",
			examples: []string{"counternet export --partner nl-police --tlp amber --purpose \"joint investigation\" --legal-basis \"Budapest Convention Art. 26\" --vendor nova:greenleaf -o pkg.cnpkg"}},
		{name: "verify", run: runVerify,
			summary:  "check a package's signature and every file's hash",
			synopsis: []string{"counternet verify FILE [--key K | --senders F] [--identity F]"},
			about: "The partner's check of a package: its signer, signature and every byte. It names the first\n" +
				"thing that does not match. Without --key the signer must be a trusted sender (--senders).",
			examples: []string{"counternet verify pkg.cnpkg --key ed25519:…", "counternet verify pkg.cnpkg --senders partners.yaml --identity age.key"}},
		{name: "open", run: runOpen,
			summary:  "decrypt, verify and unpack a package",
			synopsis: []string{"counternet open FILE --identity F -o DIR [--key K | --senders F]"},
			about:    "Decrypts, verifies and unpacks a package with the checks verify makes; nothing is left in DIR unless the whole package verifies.",
			examples: []string{"counternet open pkg.cnpkg --identity age.key --key ed25519:… -o pkg/"}},
		{name: "serve", run: runServe, noArgs: true,
			summary:  "serve the investigators' web console (cases, watchlists, alerts, four-eyes exports) over TLS",
			synopsis: []string{"counternet serve [--config FILE] [--addr HOST:PORT]"},
			about: "Serves the investigators' web console on console.addr (loopback by default) over TLS, with\n" +
				"the certificate console.tls_cert names or a self-signed one generated into <data_dir>/secrets.\n" +
				"Users sign in with the accounts 'counternet users' manages (or the agency's OpenID Connect\n" +
				"provider, console.oidc). It reads the warehouse and the evidence store the other roles fill,\n" +
				"raises case alerts as data is loaded, and builds approved export requests with the export code.",
			examples: []string{"counternet users add alice --roles investigator", "counternet serve --config /etc/counternet/console.yaml"}},
		{name: "users", summary: "manage the console's local users: users add, disable, reset, list",
			about:    "Manages the console's local users in <data_dir>/secrets/console-users.json (mode 0600).",
			examples: []string{"counternet users add alice --roles investigator,approver", "counternet users list"},
			subs: []*cmdSpec{
				{name: "add", run: runUsersAdd, complete: "none",
					summary:  "add a user with roles; prints a generated password unless --password-stdin",
					synopsis: []string{"counternet users add NAME --roles ROLE[,ROLE...] [--password-stdin]"},
					about: "Adds a console user with one or more roles: analyst (reads), investigator (cases, export\n" +
						"requests), approver (approves exports), operator (sources and runs), admin (users). The\n" +
						"password is hashed with argon2id; without --password-stdin one is generated and printed once.",
					examples: []string{"counternet users add alice --roles investigator", "counternet users add bob --roles approver --password-stdin < pw.txt"}},
				{name: "disable", run: runUsersDisable, complete: "none",
					summary:  "disable a user: no sign-in, its sessions end at their next request",
					synopsis: []string{"counternet users disable NAME"},
					about:    "Disables a console user: it can no longer sign in, and its sessions end at their next request.",
					examples: []string{"counternet users disable alice"}},
				{name: "reset", run: runUsersReset, complete: "none",
					summary:  "set a new password (generated unless --password-stdin) and enable the user",
					synopsis: []string{"counternet users reset NAME [--password-stdin] [--roles ROLE[,ROLE...]]"},
					about:    "Sets a new password for a console user and enables it again; --roles replaces its roles too.",
					examples: []string{"counternet users reset alice", "counternet users reset bob --roles analyst"}},
				{name: "list", run: runUsersList, noArgs: true,
					summary:  "list the users, their roles and state",
					synopsis: []string{"counternet users list"},
					about:    "Lists the console's users with their roles, state and when each was created and changed.",
					examples: []string{"counternet users list"}},
			}},
		{name: "keys", summary: "write signing and age key pairs",
			about:    "Key pairs for packages.",
			examples: []string{"counternet keys generate --out /var/lib/counternet/keys"},
			subs: []*cmdSpec{
				{name: "generate", run: runKeysGenerate, noArgs: true,
					summary:  "write an ed25519 signing key pair and an age key pair",
					synopsis: []string{"counternet keys generate [--out DIR]"},
					about: "Writes an ed25519 signing key pair and an age key pair (private files 0600) and prints the\n" +
						"public halves as partners.yaml takes them.",
					examples: []string{"counternet keys generate", "counternet keys generate --out ./keys"}},
			}},
	}
}

// toolCommands are the commands about counternet itself.
func toolCommands() []*cmdSpec {
	return []*cmdSpec{
		{name: "completion", run: runCompletion, complete: "shells",
			summary:  "print a shell completion script (bash or zsh)",
			synopsis: []string{"counternet completion bash|zsh"},
			about:    "Prints a script that completes counternet's commands, subcommands and flags in bash or zsh.",
			examples: []string{"source <(counternet completion bash)   # in ~/.bashrc",
				"counternet completion zsh > \"${fpath[1]}/_counternet\"   # then restart zsh"}},
		{name: "help", run: runHelp, complete: "commands",
			summary:  "describe a command: what it does, its usage, flags and examples",
			synopsis: []string{"counternet help [COMMAND [SUBCOMMAND]]"},
			about:    "Describes a command; without one, lists them all. 'counternet COMMAND -h' says the same.",
			examples: []string{"counternet help query", "counternet help chain sync"}},
		{name: "version", run: runVersion, noArgs: true,
			summary:  "print the version, the Go version and the VCS revision",
			synopsis: []string{"counternet version", "counternet --version"},
			about:    "Prints the version (set at build time), the Go version it was built with and the VCS revision.",
			examples: []string{"counternet --version"}},
	}
}

// find returns the spec named name among specs, or nil.
func find(specs []*cmdSpec, name string) *cmdSpec {
	for _, s := range specs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// leaves calls fn with the path of every command that runs, in table order.
func leaves(specs []*cmdSpec, path []string, fn func(path []string, s *cmdSpec)) {
	for _, s := range specs {
		p := append(append([]string(nil), path...), s.name)
		if s.subs != nil {
			leaves(s.subs, p, fn)
			continue
		}
		fn(p, s)
	}
}
