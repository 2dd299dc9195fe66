/* image/: the pure parts: digest parsing, LAYOUT:REF splitting, entry names and whiteouts, user resolution,
 * config.json generation. */
#include "unit.h"
#include "image/image.h"
#include "runtime/base/json.h"

#include <stdlib.h>

#define HEX "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

static int
digest (const char *s, char hex[65])
{
  cell_error_t err = NULL;
  int r = img_digest_parse (s, hex, &err);
  if ((r < 0) != (err != NULL))
    return -2;
  cell_error_free (&err);
  return r;
}

TEST (digest_parse)
{
  char hex[65];
  CHECK (digest ("sha256:" HEX, hex) == 0);
  CHECK_STR (hex, HEX);
  CHECK (digest ("sha512:" HEX, hex) == -1);
  CHECK (digest ("sha256:" HEX "0", hex) == -1);
  CHECK (digest ("sha256:2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE", hex) == -1);
  CHECK (digest ("sha256:xyz", hex) == -1);
  CHECK (digest (HEX, hex) == -1);
  CHECK (digest (":" HEX, hex) == -1);
  CHECK (digest (NULL, hex) == -1);
}

static int
split (const char *arg, const char *layout, const char *ref)
{
  char *l, *r;
  img_split_ref (arg, &l, &r);
  int ok = strcmp (l, layout) == 0 && (ref ? r && strcmp (r, ref) == 0 : r == NULL);
  free (l);
  free (r);
  return ok;
}

TEST (split_ref)
{
  CHECK (split ("img", "img", NULL));
  CHECK (split ("img:latest", "img", "latest"));
  CHECK (split ("/a/b/img:v1.2", "/a/b/img", "v1.2"));
  CHECK (split ("./x:y/img", "./x:y/img", NULL)); /* a ':' in a directory name is not a ref */
  CHECK (split ("img:", "img", NULL));
  CHECK (split (":tag", ":tag", NULL));
}

static int
norm (const char *in, const char *want)
{
  char *out = img_entry_normalize (in);
  int ok = want ? out && strcmp (out, want) == 0 : out == NULL;
  free (out);
  return ok;
}

TEST (entry_normalize)
{
  CHECK (norm ("etc/passwd", "etc/passwd"));
  CHECK (norm ("./etc//passwd", "etc/passwd"));
  CHECK (norm ("usr/bin/", "usr/bin"));
  CHECK (norm ("./", ""));
  CHECK (norm (".", ""));
  CHECK (norm ("a/./b", "a/b"));
  CHECK (norm ("../etc", NULL));
  CHECK (norm ("a/../../b", NULL));
  CHECK (norm ("a/..", NULL));
  CHECK (norm ("/etc/passwd", NULL));
  CHECK (norm ("..a/b..", "..a/b.."));
}

static int
wh (const char *path, enum img_whiteout want, const char *target)
{
  char *t;
  enum img_whiteout k = img_whiteout_parse (path, &t);
  int ok = k == want && (target ? t && strcmp (t, target) == 0 : t == NULL);
  free (t);
  return ok;
}

TEST (whiteout_names)
{
  CHECK (wh ("etc/passwd", IMG_WH_NONE, NULL));
  CHECK (wh ("etc/.wh.passwd", IMG_WH_FILE, "etc/passwd"));
  CHECK (wh (".wh.top", IMG_WH_FILE, "top"));
  CHECK (wh ("a/b/.wh..wh..opq", IMG_WH_OPAQUE, "a/b"));
  CHECK (wh (".wh..wh..opq", IMG_WH_OPAQUE, ""));
  CHECK (wh ("a/.wh..wh.plnk", IMG_WH_META, NULL));
  CHECK (wh ("a/.wh.", IMG_WH_META, NULL));
  CHECK (wh ("a/.wh...", IMG_WH_META, NULL));
  CHECK (wh ("a/x.wh.y", IMG_WH_NONE, NULL));
  CHECK (wh (".whx", IMG_WH_NONE, NULL));
}

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# comment\n"
                             "app:x:1000:1001:app:/home/app:/bin/sh\n"
                             "broken line\n"
                             "nobody:x:65534:65534::/:/bin/false\n";
static const char group[] = "root:x:0:\nstaff:x:50:app,other\napp:x:1001:\nwheel:x:10:other\nusers:x:100:app\n";

static int
user (const char *spec, const char *pw, const char *gr, struct img_user *u)
{
  cell_error_t err = NULL;
  int r = img_user_resolve (spec, pw, gr, u, &err);
  if ((r < 0) != (err != NULL))
    return -2;
  cell_error_free (&err);
  return r;
}

TEST (user_resolve)
{
  struct img_user u;
  CHECK (user ("", passwd, group, &u) == 0);
  CHECK (u.uid == 0 && u.gid == 0 && u.home && strcmp (u.home, "/root") == 0);
  img_user_free (&u);
  CHECK (user ("app", passwd, group, &u) == 0);
  CHECK (u.uid == 1000 && u.gid == 1001 && strcmp (u.home, "/home/app") == 0);
  CHECK (u.n_additional_gids == 2 && u.additional_gids[0] == 50 && u.additional_gids[1] == 100);
  img_user_free (&u);
  CHECK (user ("1000", passwd, group, &u) == 0); /* numeric, found: passwd's gid and groups */
  CHECK (u.uid == 1000 && u.gid == 1001 && u.n_additional_gids == 2);
  img_user_free (&u);
  CHECK (user ("app:staff", passwd, group, &u) == 0); /* a group given: no supplementary groups */
  CHECK (u.uid == 1000 && u.gid == 50 && u.n_additional_gids == 0);
  img_user_free (&u);
  CHECK (user ("4242:77", passwd, group, &u) == 0); /* numeric, unknown: taken as is */
  CHECK (u.uid == 4242 && u.gid == 77 && u.home == NULL);
  img_user_free (&u);
  CHECK (user ("4242", NULL, NULL, &u) == 0);
  CHECK (u.uid == 4242 && u.gid == 0);
  img_user_free (&u);
  CHECK (user ("ghost", passwd, group, &u) == -1);
  CHECK (user ("app:ghosts", passwd, group, &u) == -1);
  CHECK (user ("app", NULL, NULL, &u) == -1);
}

static const char base[] = "{\"ociVersion\":\"1.2.0\",\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},"
                           "\"args\":[\"sh\"],\"env\":[\"PATH=/bin\",\"TERM=xterm\"],\"cwd\":\"/\","
                           "\"noNewPrivileges\":true},\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
                           "\"hostname\":\"cell\",\"annotations\":{\"a\":\"b\"}}";
static const char image[]
    = "{\"os\":\"linux\",\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/bin/app\"],\"Cmd\":[\"--serve\"],"
      "\"Env\":[\"PATH=/usr/bin\",\"FOO=bar\"],\"WorkingDir\":\"/srv\",\"User\":\"app\",\"StopSignal\":\"SIGINT\","
      "\"Labels\":{\"com.example.x\":\"y\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

static const struct cell_json *
path2 (const struct cell_json *j, const char *a, const char *b)
{
  return cell_json_get (cell_json_get (j, a), b);
}

TEST (runtime_config)
{
  uint32_t gids[] = { 50 };
  struct img_user u = { .uid = 1000, .gid = 1001, .additional_gids = gids, .n_additional_gids = 1,
                        .home = (char *) "/home/app" };
  struct img_overlay ov = { .lowerdir = (char *) "/c/sha256/b:/c/sha256/a", .upperdir = "upper", .workdir = "work" };
  cell_error_t err = NULL;
  char *text = img_runtime_config (base, image, &u, &ov, &err);
  CHECK (text != NULL);
  struct cell_json *j = cell_json_parse (text, strlen (text), "out", &err);
  free (text);
  CHECK (j != NULL);
  const struct cell_json *p = cell_json_get (j, "process");
  const struct cell_json *args = cell_json_get (p, "args"), *env = cell_json_get (p, "env");
  CHECK (cell_json_len (args) == 2);
  CHECK_STR (cell_json_string (cell_json_at (args, 0)), "/bin/app");
  CHECK_STR (cell_json_string (cell_json_at (args, 1)), "--serve");
  CHECK (cell_json_len (env) == 4);
  CHECK_STR (cell_json_string (cell_json_at (env, 0)), "PATH=/usr/bin"); /* the image's replaces the base's */
  CHECK_STR (cell_json_string (cell_json_at (env, 1)), "TERM=xterm");
  CHECK_STR (cell_json_string (cell_json_at (env, 2)), "FOO=bar");
  CHECK_STR (cell_json_string (cell_json_at (env, 3)), "HOME=/home/app");
  CHECK_STR (cell_json_string (cell_json_get (p, "cwd")), "/srv");
  CHECK (!cell_json_bool (cell_json_get (p, "terminal")));
  CHECK (cell_json_bool (cell_json_get (p, "noNewPrivileges")));
  int64_t v;
  CHECK (cell_json_int64 (path2 (p, "user", "uid"), &v) && v == 1000);
  CHECK (cell_json_int64 (path2 (p, "user", "gid"), &v) && v == 1001);
  CHECK (cell_json_len (path2 (p, "user", "additionalGids")) == 1);
  CHECK_STR (cell_json_string (path2 (j, "root", "path")), "rootfs");
  CHECK (path2 (j, "root", "readonly") == NULL);
  CHECK_STR (cell_json_string (cell_json_get (j, "hostname")), "cell");
  const struct cell_json *a = cell_json_get (j, "annotations");
  CHECK_STR (cell_json_string (cell_json_get (a, "a")), "b");
  CHECK_STR (cell_json_string (cell_json_get (a, "com.example.x")), "y");
  CHECK_STR (cell_json_string (cell_json_get (a, "org.opencontainers.image.stopSignal")), "SIGINT");
  CHECK_STR (cell_json_string (cell_json_get (a, "io.cell.overlay.lowerdir")), "/c/sha256/b:/c/sha256/a");
  CHECK_STR (cell_json_string (cell_json_get (a, "io.cell.overlay.upperdir")), "upper");
  cell_json_free (j);
}

TEST (runtime_config_defaults)
{
  struct img_user u = { 0 };
  cell_error_t err = NULL;
  char *text = img_runtime_config (base, "{\"config\":{}}", &u, NULL, &err);
  CHECK (text != NULL);
  struct cell_json *j = cell_json_parse (text, strlen (text), "out", &err);
  free (text);
  const struct cell_json *p = cell_json_get (j, "process");
  CHECK_STR (cell_json_string (cell_json_at (cell_json_get (p, "args"), 0)), "sh"); /* no Entrypoint/Cmd */
  CHECK (cell_json_len (cell_json_get (p, "env")) == 2);                              /* no HOME known */
  CHECK_STR (cell_json_string (cell_json_get (p, "cwd")), "/");
  CHECK (cell_json_get (cell_json_get (j, "annotations"), "io.cell.overlay.lowerdir") == NULL);
  cell_json_free (j);
  CHECK (img_runtime_config (base, "{not json", &u, NULL, &err) == NULL && err != NULL);
  cell_error_free (&err);
}

int
main (void)
{
  RUN (digest_parse);
  RUN (split_ref);
  RUN (entry_normalize);
  RUN (whiteout_names);
  RUN (user_resolve);
  RUN (runtime_config);
  RUN (runtime_config_defaults);
  UNIT_END ();
}
