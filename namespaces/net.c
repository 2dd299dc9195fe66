/* cell: netlink through libmnl (the only file that includes it): bring the loopback device up. */
#include "internal.h"

#include "../runtime/base/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

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

static int
loopback_up_on (struct mnl_socket *nl, cell_error_t *err)
{
  if (mnl_socket_bind (nl, 0, MNL_SOCKET_AUTOPID) < 0)
    return cell_error_errno (err, "netlink: bind");
  /* Only ever called for a network namespace just made, where "lo" is ifindex 1 (LOOPBACK_IFINDEX): no
   * lookup by name. */
  int ifindex = 1;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  uint32_t seq = (uint32_t) time (NULL);
  build_link_up (buf, ifindex, seq);
  return nl_request (nl, buf, sizeof buf, seq, "set 'lo' up", err);
}

int
ns_net_loopback_up (cell_error_t *err)
{
  _cleanup_mnl_ struct mnl_socket *nl = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl == NULL)
    return cell_error_errno (err, "netlink: open NETLINK_ROUTE socket");
  return loopback_up_on (nl, err);
}

bool
ns_net_can_rejoin (void)
{
  _cleanup_close_ int own = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  return own >= 0 && setns (own, CLONE_NEWNET) == 0; /* joining the namespace we are in changes nothing */
}

int
ns_net_loopback_up_of (int nsfd, cell_error_t *err)
{
  /* A socket belongs to the network namespace it was made in, and its requests act there: step in for the
   * socket() only. */
  _cleanup_close_ int own = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own < 0)
    return cell_error_errno (err, "open '/proc/self/ns/net'");
  if (setns (nsfd, CLONE_NEWNET) < 0)
    return cell_error_errno (err, "join the container's network namespace");
  _cleanup_mnl_ struct mnl_socket *nl = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  int saved = errno;
  if (setns (own, CLONE_NEWNET) < 0)
    abort (); /* stuck in the container's network namespace: nothing more of ours may run there */
  if (nl == NULL)
    return errno = saved, cell_error_errno (err, "netlink: open NETLINK_ROUTE socket");
  return loopback_up_on (nl, err);
}
