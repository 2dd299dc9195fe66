/* cell: netlink through libmnl (the only file that includes it): bring the loopback device up. */
#include "internal.h"

#include "../runtime/base/cleanup.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* <net/if.h> clashes with <linux/if.h>; this is all we need from it. */
extern unsigned int if_nametoindex (const char *ifname);

static void
cleanup_mnlp (struct mnl_socket **nl)
{
  if (*nl)
    mnl_socket_close (*nl);
}
#define _cleanup_mnl_ _cleanup_ (cleanup_mnlp)

static void
build_link_up (char *buf, int ifindex, uint32_t seq)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = seq;
  struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header (nlh, sizeof *ifm);
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = ifindex;
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
}

/* Send one request and wait for its ACK; mnl_cb_run() turns an NLMSG_ERROR into -1 with errno set. */
static int
nl_request (struct mnl_socket *nl, char *buf, size_t bufsize, uint32_t seq, const char *what,
            cell_error_t *err)
{
  struct nlmsghdr *nlh = (struct nlmsghdr *) buf;
  if (mnl_socket_sendto (nl, nlh, nlh->nlmsg_len) < 0)
    return cell_error_errno (err, "netlink: send %s", what);
  unsigned portid = mnl_socket_get_portid (nl);
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom (nl, buf, bufsize);
      if (n < 0)
        return cell_error_errno (err, "netlink: receive %s", what);
      int ret = mnl_cb_run (buf, (size_t) n, seq, portid, NULL, NULL);
      if (ret < 0)
        return cell_error_errno (err, "netlink: %s", what);
      if (ret == MNL_CB_STOP)
        return 0;
    }
}

int
ns_net_loopback_up (cell_error_t *err)
{
  _cleanup_mnl_ struct mnl_socket *nl = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl == NULL)
    return cell_error_errno (err, "netlink: open NETLINK_ROUTE socket");
  if (mnl_socket_bind (nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return cell_error_errno (err, "netlink: bind");
  /* "lo" is always ifindex 1 in a fresh network namespace (LOOPBACK_IFINDEX); the lookup covers joined ones. */
  int ifindex = (int) if_nametoindex ("lo");
  if (ifindex == 0)
    ifindex = 1;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  uint32_t seq = (uint32_t) time (NULL);
  build_link_up (buf, ifindex, seq);
  return nl_request (nl, buf, sizeof buf, seq, "set 'lo' up", err);
}
