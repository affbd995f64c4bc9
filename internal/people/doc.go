// Package people loads congress-legislators tables and resolves politician
// ids to members of Congress (bioguide ids).
package people
