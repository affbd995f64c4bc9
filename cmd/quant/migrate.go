package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd() *cobra.Command {
	var databaseURL string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded schema migrations to PostgreSQL",
		Long: `Apply every embedded schema migration not yet applied to the database
named by --database-url (QUANT_DATABASE_URL). Safe to run any number of
times and from several instances at once (migrations run under an
advisory lock). quant serve also migrates on start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if databaseURL == "" {
				return errors.New("--database-url (or QUANT_DATABASE_URL) is required: migrations apply to PostgreSQL only")
			}
			log, err := newLogger(cmd, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), databaseURL, log)
			if err != nil {
				return err
			}
			st.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "database %s is up to date\n", redactURL(databaseURL))
			return nil
		},
	}
	cmd.Flags().StringVar(&databaseURL, "database-url", "", "PostgreSQL URL")
	return cmd
}
