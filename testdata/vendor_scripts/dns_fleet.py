#!/usr/bin/env python3
# -*- coding: utf-8 -*-
#
# The primary DNS server of every VMstore of a fleet, set the way Tintri's published Python
# examples would (tintri-api-examples, tintri_1_1.py): one VMstore after the other, each with
# its product check, login, read, update, read back and logout, every request a new
# requests call. `make bench-fleet` times it against tintri-jobs' appliance_dns task on the
# same simulated fleet (internal/benchfleet).
#
# Environment (as written by `tintri-jobs sim -env-file`):
#   TINTRI_VMSTORE_URLS (space separated), TINTRI_USERNAME, TINTRI_PASSWORD
# Optional:
#   TINTRI_NEW_DNS_PRIMARY  the primary to set (default "192.0.2.153")

import json
import os
import sys

import requests
import urllib3

urllib3.disable_warnings()

API = "/api"


def call(method, server, api, session_id=None, payload=None, want=200):
    headers = {'content-type': 'application/json'}
    if session_id is not None:
        headers['cookie'] = 'JSESSIONID=' + session_id
    url = 'https://' + server + API + api
    data = None if payload is None else json.dumps(payload)
    r = requests.request(method, url, headers=headers, data=data, verify=False)
    if r.status_code != want:
        raise Exception("%s %s: status %d: %s" % (method, url, r.status_code, r.text))
    return r


def set_primary(server, user_name, password, primary):
    info = call('GET', server, '/info').json()
    if info['productName'] != 'Tintri VMstore':
        raise Exception(server + " is " + info['productName'])
    login = {'username': user_name, 'password': password,
             'typeId': 'com.tintri.api.rest.vcommon.dto.rbac.RestApiCredentials'}
    session_id = call('POST', server, '/v310/session/login', payload=login).cookies['JSESSIONID']
    dns = call('GET', server, '/v310/appliance/default/dns', session_id).json()
    new_dns = {'typeId': 'com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceDns',
               'dnsPrimary': primary, 'dnsSecondary': dns.get('dnsSecondary', '')}
    request = {'typeId': 'com.tintri.api.rest.v310.dto.Request',
               'objectsWithNewValues': {'typeId': 'com.tintri.api.rest.v310.dto.domain.Appliance', 'dnsConfig': new_dns},
               'propertiesToBeUpdated': ['dnsConfig']}
    call('PUT', server, '/v310/appliance/default', session_id, request, want=204)
    if call('GET', server, '/v310/appliance/default/dns', session_id).json()['dnsPrimary'] != primary:
        raise Exception(server + ": dnsPrimary not set")
    call('POST', server, '/v310/session/logout', session_id, want=204)


def main():
    servers = [u.replace("https://", "").rstrip("/") for u in os.environ['TINTRI_VMSTORE_URLS'].split()]
    primary = os.environ.get('TINTRI_NEW_DNS_PRIMARY', '192.0.2.153')
    for server in servers:
        set_primary(server, os.environ['TINTRI_USERNAME'], os.environ['TINTRI_PASSWORD'], primary)
    print("dns: primary %s on %d VMstores" % (primary, len(servers)))


if __name__ == '__main__':
    try:
        main()
    except Exception as e:
        print("[ERROR] : " + str(e))
        sys.exit(1)
