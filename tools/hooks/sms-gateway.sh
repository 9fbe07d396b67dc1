#!/bin/sh
# sms-gateway.sh URL [GROUP]: a fenghuod [hook] that hands a message to an SMS gateway.
#
# Reads the message fenghuod writes on standard input (format = json, docs/CONFIG.md,
# Hooks) and POSTs one JSON object to URL, the gateway's HTTP endpoint:
#   {"group": GROUP, "id": "<message id>", "text": "【演练】【红色预警】title：text"}
# with the text cut to 480 characters (a long SMS). GROUP (default "duty") is the list of
# recipients the gateway knows; fenghuod never passes message text as an argument, and this
# script does not either: python3 builds the body, curl reads it from standard input.
# curl fails on any HTTP status of 400 and above (or after 20 s), and so does this script,
# so that fenghuod tries again later; a gateway should treat a second POST with the same id
# as the same message.
#
#   [hook sms]
#   on = warning
#   command = /usr/local/lib/fenghuo/hooks/sms-gateway.sh http://127.0.0.1:8080/send duty
#
# Needs python3 and curl.
set -eu
url=${1:?usage: sms-gateway.sh URL [GROUP]}
group=${2:-duty}
python3 -c '
import json, sys
m = json.load(sys.stdin)
levels = {"blue": "蓝色预警", "yellow": "黄色预警", "orange": "橙色预警", "red": "红色预警"}
marks = {"exercise": "演练", "test": "测试", "system": "系统", "draft": "草稿"}
head = ""
if m.get("status") in marks:
    head += "【" + marks[m["status"]] + "】"
if m.get("msg_type") == "cancel":
    head += "【预警解除】"
elif m.get("level") in levels:
    head += "【" + levels[m["level"]] + "】"
text = head + m.get("title", "")
if m.get("text"):
    text += "：" + m["text"]
json.dump({"group": sys.argv[1], "id": m.get("id", ""), "text": text[:480]},
          sys.stdout, ensure_ascii=False)
' "$group" | curl --silent --show-error --fail --max-time 20 \
    -H 'Content-Type: application/json; charset=utf-8' --data-binary @- "$url" >/dev/null
