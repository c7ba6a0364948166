// Command llgate is a LianLian Pay compatible sandbox and gateway.
//
//	llgate serve             run the server (sandbox on ./llgate.db by default)
//	llgate keys gen          make a merchant key pair in every format clients use
//	llgate merchant add|list manage merchants directly in the database
//	llgate call ENDPOINT     send one merchant API request and print the answer
//	llgate form              print a signed checkout form (Easy Payment WEB/H5) to pay in a browser
//	llgate golive            check a merchant's notification receiver before going live
//	llgate version           the version and commit of the binary
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "llgate:", err)
		}
		code := 2
		var ec interface{ ExitCode() int }
		if errors.As(err, &ec) {
			code = ec.ExitCode() // call: 1 for a business ret_code
		}
		os.Exit(code)
	}
}

var errUsage = errors.New("usage")

// parseFlags parses args into fs. help is true when -h asked for the usage
// (printed; the command then succeeds); a bad flag is errUsage.
func parseFlags(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errUsage
	}
	return false, nil
}

const usage = `usage: llgate <command> [flags]

commands:
  serve                 run the sandbox (default) or gateway
  keys gen | rotate     generate a merchant key pair; rotate: re-seal all data under new data keys
  merchant add | list   add or list merchants in the database
  call <request>        send one merchant API request with the Go SDK and print the answer
  form                  print a signed, auto-submitting checkout form (WEB fields or H5 req_data) to pay by hand
  bench                 load-test a server and report throughput, latency and the crypto share
  notify list | resend  list or resend notifications; notify listen: a test notify_url
  report                build a merchant's transaction report files for a day or a month
  golive                check a merchant's notify URL: genuine notifications acknowledged, forged ones refused
  version               the module version and commit this binary was built from
run 'llgate <command> -h' for its flags`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], getenv, stdout, stderr)
	case "merchant":
		return runMerchant(ctx, args[1:], getenv, stdout, stderr)
	case "call":
		return runCall(ctx, args[1:], getenv, stdout, stderr)
	case "form":
		return runForm(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "notify":
		return runNotify(ctx, args[1:], getenv, stdout, stderr)
	case "report":
		return runReport(ctx, args[1:], getenv, stdout, stderr)
	case "golive":
		return runGolive(ctx, args[1:], getenv, stdout, stderr)
	case "version", "--version":
		return runVersion(stdout)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s\n", args[0], usage)
		return errUsage
	}
}
