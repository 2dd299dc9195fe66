/* cell: "root" and "mounts" of config.json (id mappings, shared with linux.uidMappings). */
#include "internal.h"

/* ---- root, mounts, hooks ---- */

#define T struct cell_root
static const struct field root_desc_fields[] = {
  STR ("path", path, REQ_),
  BOOL ("readonly", readonly),
};
#undef T
DESC_EXPORT (root_desc, NULL);

#define T struct cell_id_mapping
static const struct field idmap_desc_fields[] = {
  U32 ("containerID", container_id, REQ_),
  U32 ("hostID", host_id, REQ_),
  INT ("size", size, 1, UINT32_MAX, REQ_),
};
#undef T
DESC_EXPORT (idmap_desc, NULL);

/* A relative destination is accepted (runc does, for old configs) and taken as relative to "/". */
#define T struct cell_mount
static const struct field mount_desc_fields[] = {
  STR ("destination", destination, REQ_),
  STR ("type", type),
  STR ("source", source),
  STRV ("options", options),
  ARR ("uidMappings", uid_mappings, n_uid_mappings, struct cell_id_mapping, cfg_idmap_desc),
  ARR ("gidMappings", gid_mappings, n_gid_mappings, struct cell_id_mapping, cfg_idmap_desc),
};
#undef T
DESC_EXPORT (mount_desc, NULL);
