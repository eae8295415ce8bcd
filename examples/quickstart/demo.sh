#!/usr/bin/env bash
# The quick-start demo: installs what kemu needs, builds it, starts a 2-node
# cluster from examples/quickstart/ and shows pod-to-pod traffic across nodes.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
  echo "The demo creates network namespaces: run it as root (sudo npm run demo)." >&2
  exit 1
fi

bash scripts/setup.sh

# Every command names the cluster, so the demo works even when other clusters run.
kemu() { bin/kemu "$1" --name kemu "${@:2}"; }
kemu down >/dev/null 2>&1 || true
kemu up -f examples/quickstart --nodes 2

echo; echo '$ kemu get nodes'; kemu get nodes
echo; echo '$ kemu get pods -o wide'; kemu get pods -o wide

# Pick a web pod on the other node from the client, and ask it who it is.
client_node=$(kemu get pod client -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).spec.nodeName))')
read -r target_name target_ip < <(kemu get pods -l app=web -o json | node -e '
let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
  const pods=JSON.parse(s).items; const other=pods.find(p=>p.spec.nodeName!==process.argv[1])??pods[0];
  console.log(other.metadata.name, other.status.podIP);})' "$client_node")
echo; echo "\$ kemu exec client -- curl -s http://$target_ip:8080/hostname    # client on $client_node"
kemu exec client -- curl -s "http://$target_ip:8080/hostname"; echo
echo "\$ kemu exec client -- curl -s http://$target_ip:8080/clientip"
kemu exec client -- curl -s "http://$target_ip:8080/clientip"; echo

echo; echo '$ kemu get svc web'; kemu get svc web
echo '$ kemu exec client -- curl -s http://web/hostname     # cluster DNS, then the Service rules'
for i in 1 2 3; do kemu exec client -- curl -s http://web/hostname; echo; done

cat <<MSG

The cluster "kemu" keeps running. Try (kemu is bin/kemu; export PATH=\$PWD/bin:\$PATH):
  kemu logs $target_name                 # the container's output
  kemu delete pod $target_name           # the Deployment replaces it: new pod, new IP
  kemu exec --host node-1 -- ip route    # a shell command on node-1: routes to the other node's pods
  kemu iptables node-1 -t nat            # the Service's KUBE-SVC-… and KUBE-SEP-… chains
  kemu trace client http://web/hostname  # one request's path through those chains, node by node, as the kernel traced it
  kemu flows -f                          # live connections with pod and Service names (Ctrl-C to stop)
  kemu dashboard                         # a web page of the cluster on 127.0.0.1 (the URL carries its token)
  kemu exec client -- dig +short SRV _http._tcp.web.default.svc.cluster.local
  kemu exec client -- hostname           # every pod has its own UTS namespace
  kemu apply -f examples/ingress/web.yaml -f examples/gateway/web.yaml   # an Ingress, a Gateway and an HTTPRoute
  kemu exec --host outside -- curl -s -H 'Host: web.example' http://172.18.255.1/hostname   # through the router (kemu get ingress)
  kemu describe pod $target_name         # its Events: Scheduled, Pulled, Created, Started
  kubectl get pods -o wide               # the real kubectl, if you have one: kemu up wrote context kemu-kemu (kemu kubeconfig prints it)
  kemu apply -f examples/app/app.yaml    # a typical app: Namespace, ConfigMap, Secret, ServiceAccount, Deployment, Service, PDB, HPA
  kemu down                              # removes everything (and its kubeconfig context)
MSG
