#!/usr/bin/env python3
# -*- coding: utf-8 -*-
#
# A client written the way Tintri's published Python examples (tintri-api-examples,
# tintri_1_1.py) talk to the REST API v310: requests, 'https://' + server + '/api' + path,
# a 'cookie: JSESSIONID=...' header taken from the login response, verify=False and
# urllib3 warnings disabled. tintri-jobs runs it against its simulator to check that the
# simulator answers such scripts the way appliances do.
#
# Environment (as written by `tintri-jobs sim -env-file`):
#   TINTRI_TGC_URL, TINTRI_VMSTORE_URLS (space separated), TINTRI_USERNAME, TINTRI_PASSWORD
# Optional:
#   TINTRI_VM_NAME_FILTER  VM name substring to page through (default "sql-prod")
#   TINTRI_SERVICE_GROUP   service group that gets the VM as a static member (default "Empty Group")
#   TINTRI_NEW_DNS_PRIMARY DNS primary set on the first VMstore (default "192.0.2.153")
#   TINTRI_REPORT_FILE     where the VM report is saved (default "vm_report.csv")
#
# Prints one line per step; exits non-zero on the first failure.

import csv
import json
import os
import sys

import requests
import urllib3

urllib3.disable_warnings()

API = "/api"
BEANS = "com.tintri.api.rest.v310.dto.domain.beans."
PAGE_SIZE = 2


class TintriApiException(Exception):
    def __init__(self, message, status_code, url, response):
        Exception.__init__(self, "%s status code=%d url:%s response:%s" % (message, status_code, url, response))


def server_name(url):
    return url.replace("https://", "").rstrip("/")


def api_get(server, api, session_id=None, query=None):
    headers = {'content-type': 'application/json'}
    if session_id is not None:
        headers['cookie'] = 'JSESSIONID=' + session_id
    url = 'https://' + server + API + api
    r = requests.get(url, headers=headers, params=query, verify=False)
    if r.status_code != 200:
        raise TintriApiException("GET is not 200", r.status_code, url, r.text)
    return r


def api_put(server, api, payload, session_id):
    headers = {'content-type': 'application/json', 'cookie': 'JSESSIONID=' + session_id}
    url = 'https://' + server + API + api
    r = requests.put(url, data=json.dumps(payload), headers=headers, verify=False)
    if r.status_code != 204:
        raise TintriApiException("PUT is not 204", r.status_code, url, r.text)
    if r.text != "":
        raise TintriApiException("PUT answered a body", r.status_code, url, r.text)
    return r


def api_post(server, api, payload, session_id):
    headers = {'content-type': 'application/json', 'cookie': 'JSESSIONID=' + session_id}
    url = 'https://' + server + API + api
    return requests.post(url, data=json.dumps(payload), headers=headers, verify=False)


def api_login(server, user_name, password):
    headers = {'content-type': 'application/json'}
    payload = {'username': user_name,
               'password': password,
               'typeId': 'com.tintri.api.rest.vcommon.dto.rbac.RestApiCredentials'}
    url = 'https://' + server + API + '/v310/session/login'
    r = requests.post(url, data=json.dumps(payload), headers=headers, verify=False)
    if r.status_code != 200:
        raise TintriApiException("login is not 200", r.status_code, url, r.text)
    return r.cookies['JSESSIONID']


def api_logout(server, session_id):
    headers = {'content-type': 'application/json', 'cookie': 'JSESSIONID=' + session_id}
    url = 'https://' + server + API + '/v310/session/logout'
    r = requests.get(url, headers=headers, verify=False)
    if r.status_code != 204:
        raise TintriApiException("logout is not 204", r.status_code, url, r.text)


def check_product(server, want):
    info = api_get(server, '/info').json()
    if info['productName'] != want:
        raise Exception(server + " is " + info['productName'] + ", not " + want)
    versions = info['preferredVersion'].split(".")
    if versions[0] != "v310" or int(versions[1]) < 51:
        raise Exception("preferred version " + info['preferredVersion'] + " is older than v310.51")
    print("info: " + server + " is " + info['productName'] + " " + info['preferredVersion'])


def main():
    tgc = server_name(os.environ['TINTRI_TGC_URL'])
    vmstore = server_name(os.environ['TINTRI_VMSTORE_URLS'].split()[0])
    user_name = os.environ['TINTRI_USERNAME']
    password = os.environ['TINTRI_PASSWORD']
    name_filter = os.environ.get('TINTRI_VM_NAME_FILTER', 'sql-prod')
    group_name = os.environ.get('TINTRI_SERVICE_GROUP', 'Empty Group')
    new_dns_primary = os.environ.get('TINTRI_NEW_DNS_PRIMARY', '192.0.2.153')
    report_file = os.environ.get('TINTRI_REPORT_FILE', 'vm_report.csv')

    check_product(tgc, "Tintri Global Center")
    check_product(vmstore, "Tintri VMstore")

    session_id = api_login(tgc, user_name, password)
    print("login: TGC " + tgc)

    # Page through the VMs whose name contains the filter, following 'next'.
    vm_filter = {"includeFields": ["uuid", "vmware"], "name": name_filter}
    page = {'next': "offset=0&limit=" + str(PAGE_SIZE)}
    vms = []
    pages = 0
    while 'next' in page:
        page = api_get(tgc, "/v310/vm?" + page['next'], session_id, vm_filter).json()
        pages += 1
        for vm in page['items']:
            vms.append((vm['vmware']['name'], vm['uuid']['uuid']))
    if len(vms) == 0 or len(vms) != page['filteredTotal']:
        raise Exception("paged %d VMs, filteredTotal %d" % (len(vms), page['filteredTotal']))
    print("vms: %d VMs named *%s* in %d pages, first %s" % (len(vms), name_filter, pages, vms[0][0]))

    vm_name, vm_uuid = vms[0]
    rule = {"typeId": BEANS + "vm.VirtualMachineAffinityRule", "ruleType": "NEVER"}
    api_put(tgc, "/v310/vm/" + vm_uuid + "/affinity", rule, session_id)
    print("affinity: " + vm_name + " NEVER")

    groups = api_get(tgc, "/v310/servicegroup", session_id).json()
    group_uuid = ""
    for sg in groups['items']:
        if sg['name'] == group_name:
            group_uuid = sg['uuid']['uuid']
    if group_uuid == "":
        raise Exception("no service group " + group_name)
    change = {"typeId": "com.tintri.api.rest.v310.dto.CollectionChangeRequest",
              "objectIdsAdded": [vm_uuid],
              "objectIdsRemoved": []}
    api_put(tgc, "/v310/servicegroup/" + group_uuid + "/members/static", change, session_id)
    members = api_get(tgc, "/v310/servicegroup/" + group_uuid + "/members", session_id).json()
    if vm_uuid not in [m['memberId'] for m in members['items']]:
        raise Exception(vm_name + " is not a member of " + group_name)
    print("service group: " + vm_name + " added to " + group_name)

    # Download a VM report: POST for a URL, then a plain GET of the URL.
    report_filter = {"typeId": BEANS + "vm.VirtualMachineDownloadableReportFilter",
                     "attachment": os.path.basename(report_file),
                     "attributes": ["VmName", "VMstoreName", "TotalIops"],
                     "since": "",
                     "until": "",
                     "format": "CSV"}
    r = api_post(tgc, "/v310/vm/vmListDownloadable", report_filter, session_id)
    if r.status_code != 200:
        raise TintriApiException("report is not 200", r.status_code, "vmListDownloadable", r.text)
    report_url = r.text
    r = requests.get(report_url, headers={'content-type': 'application/json'}, verify=False, stream=True)
    if r.status_code != 200:
        raise TintriApiException("download is not 200", r.status_code, report_url, r.text)
    with open(report_file, 'wb') as file_h:
        for block in r.iter_content(4096):
            file_h.write(block)
    with open(report_file, newline='') as file_h:
        rows = list(csv.reader(file_h))
    if rows[0] != report_filter['attributes']:
        raise Exception("report header " + str(rows[0]))
    total = api_get(tgc, "/v310/vm?limit=1", session_id).json()['filteredTotal']
    if len(rows) - 1 != total:
        raise Exception("report has %d rows for %d VMs" % (len(rows) - 1, total))
    print("report: %d rows in %s" % (len(rows) - 1, report_file))

    api_logout(tgc, session_id)
    print("logout: TGC")

    session_id = api_login(vmstore, user_name, password)
    print("login: VMstore " + vmstore)
    dns = api_get(vmstore, "/v310/appliance/default/dns", session_id).json()
    print("dns: " + dns['dnsPrimary'] + " (" + dns['dnsSecondary'] + ")")
    new_dns = {'typeId': 'com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceDns',
               'dnsPrimary': new_dns_primary,
               'dnsSecondary': dns['dnsSecondary']}
    new_appliance = {'typeId': 'com.tintri.api.rest.v310.dto.domain.Appliance',
                     'dnsConfig': new_dns}
    request = {'typeId': 'com.tintri.api.rest.v310.dto.Request',
               'objectsWithNewValues': new_appliance,
               'propertiesToBeUpdated': ['dnsConfig']}
    api_put(vmstore, "/v310/appliance/default", request, session_id)
    dns = api_get(vmstore, "/v310/appliance/default/dns", session_id).json()
    if dns['dnsPrimary'] != new_dns_primary:
        raise Exception("dnsPrimary is " + dns['dnsPrimary'])
    print("dns: now " + dns['dnsPrimary'] + " (" + dns['dnsSecondary'] + ")")

    ips = api_get(vmstore, "/v310/appliance/default/ips", session_id).json()
    for ip in ips:
        print("ip: " + ip['serviceType'] + " " + ip['ip'] + " " + ip['networkBond'] + " " + ip['vlanId'])
    if sorted(ip['serviceType'] for ip in ips) != ['admin', 'data', 'replication']:
        raise Exception("unexpected IP service types")

    api_logout(vmstore, session_id)
    print("logout: VMstore")


if __name__ == '__main__':
    try:
        main()
    except Exception as e:
        print("[ERROR] : " + str(e))
        sys.exit(1)
