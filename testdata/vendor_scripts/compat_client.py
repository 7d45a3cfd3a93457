#!/usr/bin/env python3
# -*- coding: utf-8 -*-
#
# A compatibility client for the tintri-jobs simulator, written in this repository. It talks
# to the REST API v310 the way Tintri's published Python examples (tintri-api-examples) and
# Python SDK (tintri-python-sdk) do, sending exactly their request shapes:
#
#   - requests to 'https://' + host + '/api' + path, verify=False, urllib3 warnings off, the
#     session as a 'cookie: JSESSIONID=...' header (every example);
#   - GET /v310/vm?<next>, next re-sent verbatim (get_vms_paged.py), and next split into
#     key=value pairs and URL-encoded again (the SDK's TintriPage.get_next_page);
#   - stat.sortedStats[0] spaceUsedGiB, operationsTotalIops, latencyTotalMs of each VM
#     (get_vm_stats.py);
#   - PUT /v310/servicegroup/{id}/members/static with objectIdsAdded as one uuid string, one
#     PUT per VM (add_vms_to_service_group.py);
#   - GET /v310/vm with live=TRUE and serviceGroupIds, then a login to each member's
#     vmstoreName for PUT /v310/vm/qosConfig (set_qos_service_groups.py);
#   - POST /v310/snapshot with a list of SnapshotSpec, expecting 200 and a list of uuids
#     (snapshot_vm.py); GET /v310/snapshot?queryType=TOP_DOCS_BY_TIME&limit=1&
#     type=USER_GENERATED_SNAPSHOT reading vmName, uuid.uuid, createTime (epoch ms) and
#     cloneReferenceCount, and DELETE /v310/snapshot/{uuid} expecting 200, never for a
#     snapshot with clones (delete_snapshot.py);
#   - one transparent login and retry on 401 ERR-API-0104 only, as the SDK's auto_login does
#     (a failed login, 401 ERR-API-0124, is not retried);
#   - POST /v310/vm/vmListDownloadable, then a plain GET of the URL (reports/get_vm_report.py);
#   - PUT /v310/appliance/default with objectsWithNewValues as one object (set_dns_primary.py);
#   - PUT /v310/appliance/default with configIps holding only the data IPs, the current ones
#     and a copy with a new address (set_data_ip.py), the admin and replication IPs staying.
#
# Environment (as written by `tintri-jobs sim -env-file`):
#   TINTRI_TGC_URL, TINTRI_VMSTORE_URLS (space separated), TINTRI_USERNAME, TINTRI_PASSWORD
# Optional:
#   TINTRI_VM_NAME_FILTER  VM name substring to work on (default "sql-prod")
#   TINTRI_SERVICE_GROUP   service group that gets two of those VMs (default "Empty Group")
#   TINTRI_NEW_DNS_PRIMARY DNS primary set on the first VMstore (default "192.0.2.153")
#   TINTRI_REPORT_FILE     where the VM report is saved (default "vm_report.csv")
#   TINTRI_NEW_DATA_IP     data IP added to the first VMstore (default "198.51.100.99")
#
# Prints one line per step, "step: detail"; exits non-zero on the first failure.

import csv
import json
import os
import sys
import urllib.parse
from datetime import datetime

import requests
import urllib3

urllib3.disable_warnings()

API = "/api"
BEANS = "com.tintri.api.rest.v310.dto.domain.beans."
PAGE_SIZE = 2
QOS_MIN, QOS_MAX = 100, 1000
STAT_FIELDS = ['spaceUsedGiB', 'operationsTotalIops', 'latencyTotalMs']


class ApiError(Exception):
    def __init__(self, what, response):
        self.status = response.status_code
        self.code = error_code(response)
        Exception.__init__(self, "%s: status %d %s url %s response %s" %
                           (what, self.status, self.code, response.url, response.text))


def error_code(response):
    try:
        return response.json().get('code')
    except ValueError:
        return None


def host_of(url):
    return url.replace("https://", "").rstrip("/")


class Server:
    """One appliance and its session. Like the SDK with auto_login, a call answered 401
    ERR-API-0104 (no valid session) logs in again and is sent once more."""

    def __init__(self, host, user_name, password):
        self.host = host
        self.user_name = user_name
        self.password = password
        self.session_id = None
        self.relogins = 0

    def url(self, path):
        return 'https://' + self.host + API + path

    def headers(self):
        headers = {'content-type': 'application/json'}
        if self.session_id is not None:
            headers['cookie'] = 'JSESSIONID=' + self.session_id
        return headers

    def login(self, password=None):
        payload = {'username': self.user_name,
                   'password': password or self.password,
                   'typeId': 'com.tintri.api.rest.vcommon.dto.rbac.RestApiCredentials'}
        r = requests.post(self.url('/v310/session/login'), data=json.dumps(payload),
                          headers={'content-type': 'application/json'}, verify=False)
        if r.status_code != 200:
            raise ApiError("login is not 200", r)
        self.session_id = r.cookies['JSESSIONID']

    def logout(self):
        r = requests.get(self.url('/v310/session/logout'), headers=self.headers(), verify=False)
        if r.status_code != 204:
            raise ApiError("logout is not 204", r)
        self.session_id = None

    def send(self, method, path, payload=None, query=None):
        data = None if payload is None else json.dumps(payload)
        return requests.request(method, self.url(path), data=data, params=query,
                                headers=self.headers(), verify=False)

    def call(self, method, path, want, payload=None, query=None):
        r = self.send(method, path, payload, query)
        if r.status_code == 401 and error_code(r) == "ERR-API-0104":
            self.relogins += 1
            self.login()
            r = self.send(method, path, payload, query)
        if r.status_code != want:
            raise ApiError("%s %s is not %d" % (method, path, want), r)
        if want == 204 and r.text != "":
            raise ApiError("%s %s answered a body" % (method, path), r)
        return r


def check_product(server, want):
    info = requests.get(server.url('/info'), headers={'content-type': 'application/json'}, verify=False).json()
    if info['productName'] != want:
        raise Exception(server.host + " is " + info['productName'] + ", not " + want)
    versions = info['preferredVersion'].split(".")
    if versions[0] != "v310" or int(versions[1]) < 51:
        raise Exception("preferred version " + info['preferredVersion'] + " is older than v310.51")
    print("info: " + server.host + " is " + info['productName'] + " " + info['preferredVersion'])


def page_vms(tgc, first_next, sdk_style):
    """Pages through GET /v310/vm following next: verbatim, or split into pairs and encoded
    again as the SDK does. Every item must hold only the fields first_next asks for."""
    page = {'next': first_next}
    vms, pages = [], 0
    while 'next' in page:
        query = page['next']
        if sdk_style:
            query = urllib.parse.urlencode(dict(kv.split('=', 1) for kv in query.split('&')))
        page = tgc.call('GET', "/v310/vm?" + query, 200).json()
        pages += 1
        for vm in page['items']:
            if sorted(vm) != ['typeId', 'uuid', 'vmware']:
                raise Exception("page %d: item fields %s, want typeId, uuid, vmware" % (pages, sorted(vm)))
            vms.append((vm['vmware']['name'], vm['uuid']['uuid']))
    if len(vms) == 0 or len(vms) != page['filteredTotal']:
        raise Exception("paged %d VMs, filteredTotal %d" % (len(vms), page['filteredTotal']))
    return vms, pages


def read_stats(tgc):
    """Reads stat.sortedStats[0] of every VM, 25 a page, and returns the busiest."""
    page = {'next': "offset=0&limit=25"}
    count, busiest = 0, (None, -1)
    while 'next' in page:
        page = tgc.call('GET', "/v310/vm?" + page['next'], 200).json()
        for vm in page['items']:
            stats = vm['stat']['sortedStats'][0]
            values = [stats[field] for field in STAT_FIELDS]
            if any(not isinstance(v, (int, float)) or v < 0 for v in values):
                raise Exception("%s: stat %s" % (vm['vmware']['name'], values))
            count += 1
            if stats['operationsTotalIops'] > busiest[1]:
                busiest = (vm['vmware']['name'], stats['operationsTotalIops'])
    print("stats: %d VMs, busiest %s at %d IOPS" % (count, busiest[0], busiest[1]))


def add_members(tgc, group_name, members):
    groups = tgc.call('GET', "/v310/servicegroup", 200).json()
    group_uuid = ""
    for sg in groups['items']:
        if sg['name'] == group_name:
            group_uuid = sg['uuid']['uuid']
    if group_uuid == "":
        raise Exception("no service group " + group_name)
    change = {'typeId': 'com.tintri.api.rest.v310.dto.CollectionChangeRequest', 'objectIdsAdded': ""}
    for name, uuid in members:
        change['objectIdsAdded'] = uuid
        tgc.call('PUT', "/v310/servicegroup/" + group_uuid + "/members/static", 204, change)
    got = tgc.call('GET', "/v310/servicegroup/" + group_uuid + "/members", 200).json()
    if sorted(m['memberId'] for m in got['items']) != sorted(uuid for _, uuid in members):
        raise Exception("members of %s: %s" % (group_name, got['items']))
    print("service group: %d VMs added to %s, one PUT each" % (len(members), group_name))
    return group_uuid


def set_member_qos(tgc, group_uuid, user_name, password):
    """Sets the QoS of each member on the VMstore its vmstoreName names; returns uuid -> host."""
    members = tgc.call('GET', "/v310/vm", 200, query={'live': 'TRUE', 'serviceGroupIds': group_uuid}).json()
    hosts = {}
    for vm in members['items']:
        store = Server(vm['vmstoreName'], user_name, password)
        store.login()
        request = {'typeId': 'com.tintri.api.rest.v310.dto.MultipleSelectionRequest',
                   'ids': [vm['uuid']['uuid']],
                   'newValue': {'minNormalizedIops': QOS_MIN, 'maxNormalizedIops': QOS_MAX,
                                'typeId': BEANS + 'vm.VirtualMachineQoSConfig'},
                   'propertyNames': ["minNormalizedIops", "maxNormalizedIops"]}
        store.call('PUT', "/v310/vm/qosConfig", 204, request)
        store.logout()
        hosts[vm['uuid']['uuid']] = vm['vmstoreName']
        print("qos: %s on %s min %d max %d" % (vm['vmware']['name'], vm['vmstoreName'], QOS_MIN, QOS_MAX))
    return hosts


def download_report(tgc, report_file):
    report_filter = {'typeId': BEANS + 'vm.VirtualMachineDownloadableReportFilter',
                     'attachment': os.path.basename(report_file),
                     'attributes': ["VmName", "VMstoreName", "TotalIops"],
                     'since': "", 'until': "", 'format': "CSV"}
    report_url = tgc.call('POST', "/v310/vm/vmListDownloadable", 200, report_filter).text
    r = requests.get(report_url, headers={'content-type': 'application/json'}, verify=False, stream=True)
    if r.status_code != 200:
        raise ApiError("download is not 200", r)
    with open(report_file, 'wb') as file_h:
        for block in r.iter_content(4096):
            file_h.write(block)
    with open(report_file, newline='') as file_h:
        rows = list(csv.reader(file_h))
    if rows[0] != report_filter['attributes']:
        raise Exception("report header " + str(rows[0]))
    total = tgc.call('GET', "/v310/vm?limit=1", 200).json()['filteredTotal']
    if len(rows) - 1 != total:
        raise Exception("report has %d rows for %d VMs" % (len(rows) - 1, total))
    print("report: %d rows in %s" % (len(rows) - 1, report_file))


def snapshot_cycle(store, vm_name, vm_uuid):
    """Takes a snapshot, finds the oldest user snapshot and deletes a snapshot without clones."""
    spec = {'typeId': BEANS + 'snapshot.SnapshotSpec', 'consistency': 'CRASH_CONSISTENT',
            'retentionMinutes': 240, 'snapshotName': vm_name + "-compat", 'sourceVmTintriUUID': vm_uuid}
    taken = store.call('POST', "/v310/snapshot", 200, [spec]).json()[0]
    print("snapshot: took " + taken + " of " + vm_name)
    q_filter = {'queryType': 'TOP_DOCS_BY_TIME', 'limit': '1', 'type': 'USER_GENERATED_SNAPSHOT'}
    result = store.call('GET', "/v310/snapshot", 200, query=q_filter).json()
    if int(result['filteredTotal']) == 0:
        raise Exception("no user generated snapshots")
    oldest = result['items'][0]
    when = datetime.fromtimestamp(int(oldest['createTime']) / 1000).strftime('%Y-%m-%d %H:%M:%S')
    print("snapshot: oldest %s of %s taken %s, %d clone references" %
          (oldest['uuid']['uuid'], oldest['vmName'], when, oldest['cloneReferenceCount']))
    victim = taken if oldest['cloneReferenceCount'] > 0 else oldest['uuid']['uuid']
    store.call('DELETE', "/v310/snapshot/" + victim, 200)
    print("snapshot: deleted " + victim)


def set_dns(store, new_dns_primary):
    dns = store.call('GET', "/v310/appliance/default/dns", 200).json()
    print("dns: " + dns['dnsPrimary'] + " (" + dns['dnsSecondary'] + ")")
    new_dns = {'typeId': BEANS + 'hardware.ApplianceDns', 'dnsPrimary': new_dns_primary, 'dnsSecondary': dns['dnsSecondary']}
    request = {'typeId': 'com.tintri.api.rest.v310.dto.Request',
               'objectsWithNewValues': {'typeId': 'com.tintri.api.rest.v310.dto.domain.Appliance', 'dnsConfig': new_dns},
               'propertiesToBeUpdated': ['dnsConfig']}
    store.call('PUT', "/v310/appliance/default", 204, request)
    dns = store.call('GET', "/v310/appliance/default/dns", 200).json()
    if dns['dnsPrimary'] != new_dns_primary:
        raise Exception("dnsPrimary is " + dns['dnsPrimary'])
    print("dns: now " + dns['dnsPrimary'] + " (" + dns['dnsSecondary'] + ")")
    ips = store.call('GET', "/v310/appliance/default/ips", 200).json()
    for ip in ips:
        print("ip: " + ip['serviceType'] + " " + ip['ip'] + " " + ip['networkBond'] + " " + ip['vlanId'])
    if sorted(ip['serviceType'] for ip in ips) != ['admin', 'data', 'replication']:
        raise Exception("unexpected IP service types")


def add_data_ip(store, new_ip):
    ips = store.call('GET', "/v310/appliance/default/ips", 200).json()
    data = [ip for ip in ips if ip['serviceType'] == "data"]
    added = data[0].copy()
    added['ip'] = new_ip
    added['vlanId'] = "untagged"
    request = {'typeId': 'com.tintri.api.rest.v310.dto.Request',
               'objectsWithNewValues': {'typeId': 'com.tintri.api.rest.v310.dto.domain.Appliance',
                                        'configIps': data + [added]},
               'propertiesToBeUpdated': ['configIps']}
    store.call('PUT', "/v310/appliance/default", 204, request)
    now = store.call('GET', "/v310/appliance/default/ips", 200).json()
    kept = [ip for ip in ips if ip['serviceType'] != "data"]
    if [ip for ip in now if ip['serviceType'] != "data"] != kept or new_ip not in [ip['ip'] for ip in now]:
        raise Exception("ips after adding " + new_ip + ": " + str(now))
    print("data ip: %s added, %d admin and replication IPs kept" % (new_ip, len(kept)))


def main():
    user_name, password = os.environ['TINTRI_USERNAME'], os.environ['TINTRI_PASSWORD']
    tgc = Server(host_of(os.environ['TINTRI_TGC_URL']), user_name, password)
    vmstore = Server(host_of(os.environ['TINTRI_VMSTORE_URLS'].split()[0]), user_name, password)
    name_filter = os.environ.get('TINTRI_VM_NAME_FILTER', 'sql-prod')

    check_product(tgc, "Tintri Global Center")
    check_product(vmstore, "Tintri VMstore")
    try:
        tgc.login(password="not-" + password)
        raise Exception("a wrong password logged in")
    except ApiError as e:
        if e.status != 401 or e.code != "ERR-API-0124":
            raise
    print("login: a wrong password is refused with ERR-API-0124")
    tgc.login()
    print("login: TGC " + tgc.host)

    first = "offset=0&limit=%d&includeFields=uuid,vmware&name=%s" % (PAGE_SIZE, name_filter)
    vms, pages = page_vms(tgc, first, sdk_style=False)
    print("vms: %d VMs named *%s* in %d pages, next re-sent verbatim, first %s" % (len(vms), name_filter, pages, vms[0][0]))
    if page_vms(tgc, first, sdk_style=True) != (vms, pages):
        raise Exception("next re-encoded as the SDK does lists other VMs")
    print("vms: the same %d VMs with next re-encoded as the SDK does" % len(vms))
    read_stats(tgc)

    vm_name, vm_uuid = vms[0]
    rule = {'typeId': BEANS + "vm.VirtualMachineAffinityRule", 'ruleType': "NEVER"}
    tgc.call('PUT', "/v310/vm/" + vm_uuid + "/affinity", 204, rule)
    print("affinity: " + vm_name + " NEVER")
    group_uuid = add_members(tgc, os.environ.get('TINTRI_SERVICE_GROUP', 'Empty Group'), vms[:2])
    hosts = set_member_qos(tgc, group_uuid, user_name, password)
    download_report(tgc, os.environ.get('TINTRI_REPORT_FILE', 'vm_report.csv'))

    # The session ends behind the client's back (as when it expires): the next call is
    # answered 401 ERR-API-0104 and logs in again transparently.
    requests.get(tgc.url('/v310/session/logout'), headers=tgc.headers(), verify=False)
    tgc.call('GET', "/v310/servicegroup", 200)
    if tgc.relogins != 1:
        raise Exception("%d re-logins after the session ended, want 1" % tgc.relogins)
    print("session: logged in again on ERR-API-0104")
    tgc.logout()
    print("logout: TGC")

    store = Server(hosts[vm_uuid], user_name, password)
    store.login()
    print("login: VMstore " + store.host + " of " + vm_name)
    snapshot_cycle(store, vm_name, vm_uuid)
    store.logout()

    vmstore.login()
    print("login: VMstore " + vmstore.host)
    set_dns(vmstore, os.environ.get('TINTRI_NEW_DNS_PRIMARY', '192.0.2.153'))
    add_data_ip(vmstore, os.environ.get('TINTRI_NEW_DATA_IP', '198.51.100.99'))
    vmstore.logout()
    print("logout: VMstore")


if __name__ == '__main__':
    try:
        main()
    except Exception as e:
        print("[ERROR] : " + str(e))
        sys.exit(1)
