// Package deploy holds the deployment files (s.yaml checks, RAM policies).
package deploy
