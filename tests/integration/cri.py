"""A tiny CRI client (runtime.v1.RuntimeService) for the containerd tests: Debian has no crictl.

gRPC comes from Debian's python3-grpcio; the few protobuf messages the tests send are encoded here by hand
(field numbers from k8s.io/cri-api pkg/apis/runtime/v1/api.proto), and replies are decoded into
{field number: [values]}.
"""
import struct

try:
    import grpc
except ImportError:  # tests/deps.sh installs python3-grpcio
    grpc = None

SERVICE = "/runtime.v1.RuntimeService/"

# NamespaceMode
POD, CONTAINER, NODE = 0, 1, 2
# ContainerState
CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED = 0, 1, 2


class Msg(bytes):
    """An encoded message (nested as a length-delimited field)."""


def _varint(n):
    if n < 0:
        n += 1 << 64  # int64 two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def msg(*fields):
    """msg((1, "name"), (2, 7), (3, msg(...)), (4, ["a", "b"]), ...): None values are left out, lists repeat
    the field, dicts are proto3 maps (string to string)."""
    out = bytearray()
    for num, value in fields:
        if value is None:
            continue
        if isinstance(value, dict):
            value = [msg((1, k), (2, v)) for k, v in value.items()]
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, bool) or isinstance(v, int):
                out += _varint(num << 3) + _varint(int(v))
            else:
                b = v.encode() if isinstance(v, str) else bytes(v)
                out += _varint(num << 3 | 2) + _varint(len(b)) + b
    return Msg(out)


def decode(data):
    """{field: [int or bytes, ...]} of one message (varint, length-delimited, fixed 32/64 fields)."""
    out = {}
    i = 0

    def varint():
        nonlocal i
        n = shift = 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n
    while i < len(data):
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            v = varint()
        elif wt == 2:
            n = varint()
            v = bytes(data[i:i + n])
            i += n
        elif wt == 1:
            v = struct.unpack_from("<q", data, i)[0]
            i += 8
        elif wt == 5:
            v = struct.unpack_from("<i", data, i)[0]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def first(d, num, default=None):
    return d.get(num, [default])[0]


def sint32(v):
    return v - (1 << 64) if v >= 1 << 63 else v


class CRI:
    def __init__(self, address, timeout=120):
        self.channel = grpc.insecure_channel("unix://" + address)
        self.timeout = timeout

    def close(self):
        self.channel.close()

    def call(self, method, request):
        fn = self.channel.unary_unary(SERVICE + method)
        return decode(fn(bytes(request), timeout=self.timeout))

    def version(self):
        r = self.call("Version", msg((1, "v1")))
        return {"runtime_name": first(r, 2, b"").decode(), "runtime_api_version": first(r, 4, b"").decode()}

    @staticmethod
    def sandbox_config(name, uid, namespace, cgroup_parent, log_dir):
        """A pod on the node's network (no CNI), its own pid and ipc namespaces."""
        nsopts = msg((1, NODE), (2, POD), (3, POD))
        return msg((1, msg((1, name), (2, uid), (3, namespace), (4, 0))),
                   (3, log_dir),
                   (8, msg((1, cgroup_parent), (2, msg((1, nsopts))))))

    def run_pod_sandbox(self, config, handler):
        return first(self.call("RunPodSandbox", msg((1, config), (2, handler))), 1).decode()

    def create_container(self, pod_id, sandbox_config, name, image, command, envs=(), log_path=None):
        config = msg((1, msg((1, name), (2, 0))),
                     (2, msg((1, image))),
                     (3, list(command)),
                     (6, [msg((1, k), (2, v)) for k, v in envs]),
                     (11, log_path),
                     (15, msg((2, msg((3, msg((1, NODE), (2, CONTAINER), (3, POD))))))))
        return first(self.call("CreateContainer", msg((1, pod_id), (2, config), (3, sandbox_config))), 1).decode()

    def start_container(self, cid):
        self.call("StartContainer", msg((1, cid)))

    def exec_sync(self, cid, cmd, timeout=60):
        r = self.call("ExecSync", msg((1, cid), (2, list(cmd)), (3, timeout)))
        return (sint32(first(r, 3, 0)), first(r, 1, b"").decode(errors="replace"),
                first(r, 2, b"").decode(errors="replace"))

    def container_status(self, cid):
        s = decode(first(self.call("ContainerStatus", msg((1, cid))), 1, b""))
        return {"state": first(s, 3, 0), "exit_code": sint32(first(s, 7, 0))}

    def stop_container(self, cid, timeout):
        self.call("StopContainer", msg((1, cid), (2, timeout)))

    def remove_container(self, cid):
        self.call("RemoveContainer", msg((1, cid)))

    def stop_pod_sandbox(self, pod_id):
        self.call("StopPodSandbox", msg((1, pod_id)))

    def remove_pod_sandbox(self, pod_id):
        self.call("RemovePodSandbox", msg((1, pod_id)))

    def list_pod_sandbox(self):
        return [first(decode(p), 1).decode() for p in self.call("ListPodSandbox", msg()).get(1, [])]
