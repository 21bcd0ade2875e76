package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"sync"
	"time"
)

// User is one console account. Users of an identity provider (OIDC) are
// not stored: their roles come with each sign-in.
type User struct {
	Name     string    `json:"name"`
	Roles    []Role    `json:"roles"`
	Hash     string    `json:"hash,omitempty"` // argon2id, PHC form
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
	Changed  time.Time `json:"changed"`
}

// Has reports whether the user holds role r.
func (u User) Has(r Role) bool { return slices.Contains(u.Roles, r) }

// Errors of the user store.
var (
	ErrNoUser         = errors.New("no such user")
	ErrUserExists     = errors.New("user exists")
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrDisabled       = errors.New("user is disabled")
	ErrBadName        = errors.New("bad user name")
	ErrUnsafeFile     = errors.New("users file readable by others")
)

// UsersFileName is the users file's name under <data_dir>/secrets.
const UsersFileName = "console-users.json"

// UsersFile is the users file of a data dir.
func UsersFile(dataDir string) string { return filepath.Join(dataDir, "secrets", UsersFileName) }

// MaxUsersFile bounds the users file read.
const MaxUsersFile = 8 << 20

var reName = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// CheckName says what is wrong with a user name, or nil: 1 to 64 of
// lower-case letters, digits, '.', '_', '@' and '-', starting with a letter
// or digit.
func CheckName(name string) error {
	if !reName.MatchString(name) {
		return fmt.Errorf("%w %q: want 1 to 64 of a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit", ErrBadName, name)
	}
	return nil
}

// Users is the users file. Every call reads the file as it is on disk
// (unless unchanged since the last read), so `counternet users` changes
// made while the console runs apply at once; every change replaces the
// file atomically (a temporary file renamed over it) under a lock file.
type Users struct {
	path   string
	params Params
	now    func() time.Time

	mu     sync.Mutex
	cached []User
	stamp  fileStamp
	dummy  string // a hash to verify against for unknown users
}

type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// OpenUsers returns the users kept in path; the file need not exist yet.
func OpenUsers(path string) *Users {
	return &Users{path: path, params: DefaultParams, now: time.Now}
}

// SetParams sets the argon2id cost of new hashes (tests make it cheap).
func (u *Users) SetParams(p Params) { u.params = p }

// Path is the users file.
func (u *Users) Path() string { return u.path }

// load returns the users on disk. u.mu is held.
func (u *Users) load() ([]User, error) {
	fi, err := os.Stat(u.path)
	if errors.Is(err, os.ErrNotExist) {
		u.cached, u.stamp = nil, fileStamp{}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is mode %04o, want 0600 (chmod 600 it)", ErrUnsafeFile, u.path, fi.Mode().Perm())
	}
	st := fileStamp{mod: fi.ModTime(), size: fi.Size(), ok: true}
	if st == u.stamp {
		return u.cached, nil
	}
	f, err := os.Open(u.path)
	if err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxUsersFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading users %s: %w", u.path, err)
	}
	if len(data) > MaxUsersFile {
		return nil, fmt.Errorf("reading users %s: larger than %d bytes", u.path, MaxUsersFile)
	}
	var file struct {
		Users []User `json:"users"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("reading users %s: %w", u.path, err)
	}
	for _, usr := range file.Users {
		if err := CheckName(usr.Name); err != nil {
			return nil, fmt.Errorf("reading users %s: %w", u.path, err)
		}
		for _, r := range usr.Roles {
			if !r.Valid() {
				return nil, fmt.Errorf("reading users %s: user %s: unknown role %q", u.path, usr.Name, r)
			}
		}
	}
	u.cached, u.stamp = file.Users, st
	return file.Users, nil
}

// save writes users to the file atomically. u.mu is held.
func (u *Users) save(users []User) error {
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	data, err := json.MarshalIndent(struct {
		Users []User `json:"users"`
	}{users}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(u.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing users: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".console-users-*.tmp")
	if err != nil {
		return fmt.Errorf("writing users: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing users: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing users: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing users: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing users: %w", err)
	}
	if err := os.Rename(tmp.Name(), u.path); err != nil {
		return fmt.Errorf("writing users: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	u.stamp = fileStamp{} // read it back next time
	return nil
}

// change runs fn over the users under the file lock and saves the result.
func (u *Users) change(fn func([]User) ([]User, error)) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(u.path), 0o700); err != nil {
		return fmt.Errorf("writing users: %w", err)
	}
	unlock, err := lockFile(u.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	users, err := u.load()
	if err != nil {
		return err
	}
	users, err = fn(slices.Clone(users))
	if err != nil {
		return err
	}
	return u.save(users)
}

// Add adds a user with roles and password.
func (u *Users) Add(name string, roles []Role, password string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if len(roles) == 0 {
		return fmt.Errorf("user %s: no role given: want one or more of %s", name, RoleNames())
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := Hash(password, u.params)
	if err != nil {
		return err
	}
	now := u.now().UTC().Truncate(time.Second)
	return u.change(func(users []User) ([]User, error) {
		if slices.ContainsFunc(users, func(x User) bool { return x.Name == name }) {
			return nil, fmt.Errorf("%w: %s", ErrUserExists, name)
		}
		return append(users, User{Name: name, Roles: roles, Hash: hash, Created: now, Changed: now}), nil
	})
}

// update changes the user named name with fn.
func (u *Users) update(name string, fn func(*User)) error {
	now := u.now().UTC().Truncate(time.Second)
	return u.change(func(users []User) ([]User, error) {
		for i := range users {
			if users[i].Name == name {
				fn(&users[i])
				users[i].Changed = now
				return users, nil
			}
		}
		return nil, fmt.Errorf("%w: %s", ErrNoUser, name)
	})
}

// Disable disables a user: it can no longer sign in, and its sessions end
// at their next request.
func (u *Users) Disable(name string) error {
	return u.update(name, func(x *User) { x.Disabled = true })
}

// Reset sets a new password and enables the user.
func (u *Users) Reset(name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := Hash(password, u.params)
	if err != nil {
		return err
	}
	return u.update(name, func(x *User) { x.Hash, x.Disabled = hash, false })
}

// SetRoles replaces a user's roles.
func (u *Users) SetRoles(name string, roles []Role) error {
	if len(roles) == 0 {
		return fmt.Errorf("user %s: no role given", name)
	}
	return u.update(name, func(x *User) { x.Roles = roles })
}

// List returns every user, sorted by name, hashes left out.
func (u *Users) List() ([]User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	users, err := u.load()
	if err != nil {
		return nil, err
	}
	out := slices.Clone(users)
	for i := range out {
		out[i].Hash = ""
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Get returns the user named name (hash left out).
func (u *Users) Get(name string) (User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	users, err := u.load()
	if err != nil {
		return User{}, err
	}
	for _, x := range users {
		if x.Name == name {
			x.Hash = ""
			return x, nil
		}
	}
	return User{}, fmt.Errorf("%w: %s", ErrNoUser, name)
}

// Authenticate checks a name and password. An unknown name costs as much
// as a wrong password (a hash is verified all the same) and gives the same
// error, ErrBadCredentials; a disabled user with the right password gets
// ErrDisabled.
func (u *Users) Authenticate(name, password string) (User, error) {
	u.mu.Lock()
	users, err := u.load()
	if u.dummy == "" {
		u.dummy, _ = Hash("not a password of anyone", u.params)
	}
	dummy := u.dummy
	u.mu.Unlock()
	if err != nil {
		return User{}, err
	}
	i := slices.IndexFunc(users, func(x User) bool { return x.Name == name })
	hash := dummy
	if i >= 0 && users[i].Hash != "" {
		hash = users[i].Hash
	}
	ok, err := Verify(password, hash)
	if err != nil && i >= 0 {
		return User{}, fmt.Errorf("user %s: %w", name, err)
	}
	if i < 0 || !ok || len(password) > MaxPassword {
		return User{}, ErrBadCredentials
	}
	usr := users[i]
	usr.Hash = ""
	if usr.Disabled {
		return User{}, fmt.Errorf("%w: %s", ErrDisabled, name)
	}
	return usr, nil
}
