#!/usr/bin/env python3
"""villagereports.py: the reports of a county's backlog after an outage, one per line.

    villagereports.py FROM TO [VILLAGES] [COUNTY]

Prints reports FROM..TO-1 as tab-separated lines: village index, 12-digit region code,
category, title, text, then lat and lon in degrees (or two empty fields). VILLAGES (default
24) villages of county COUNTY (6 digits, default 330110), each one author; reports are spread
over them at random. Titles and texts are Chinese, of varied lengths (a line of a few
characters to a paragraph of several sentences), drawn from what villages report in a storm:
water on roads, landslides, damaged houses, power and telephone cuts, people to move, crops.

The sequence depends only on FROM, TO and the arguments (a fixed seed per report), so that a
benchmark run can be repeated with the same reports.
"""
import random
import sys

PLACES = ["村口", "村委会", "小学", "祠堂", "老街", "桥头", "水库", "渠道", "晒谷场", "卫生室",
          "东山脚", "西坡", "南岸", "后山", "菜市场", "养殖场", "茶园", "竹林", "敬老院", "加油站"]
ROADS = ["村道", "机耕路", "县道X207", "乡道Y031", "省道S14", "进村公路", "山路", "河堤路"]
NAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "胡"]
VILLAGE = ["青山", "石门", "黄泥坞", "下塘", "上溪", "竹坞", "枫树岭", "白沙", "桃源", "双溪",
           "梅岭", "柏树湾", "龙潭", "马鞍山", "杨家埠", "新塘", "高桥", "长岭", "观音堂",
           "大坪", "小坑", "水口", "岩下", "金竹", "樟树下", "荷花塘", "凤凰", "三岔", "茅坪",
           "铁炉"]

TIMES = ["凌晨{h}点", "今晨{h}点{m}分", "上午{h}点左右", "中午", "下午{h}点", "傍晚", "夜里{h}点",
         "{h}点{m}分"]


def when(r):
    return r.choice(TIMES).format(h=r.randint(1, 11), m=r.randint(1, 59))


def pick(r, words):
    return r.choice(words.split())


def sentence(r, v):
    """One sentence of a field report, its words drawn from many ways of saying it."""
    n = r.randint(2, 40)
    place = lambda: pick(r, " ".join(PLACES))
    road = lambda: r.choice(ROADS)
    who = lambda: r.choice(NAMES) + pick(r, "某某 大爷 大妈 师傅 老师 家 书记 会计")
    opts = [
        lambda: f"{road()}{r.randint(1, 30)}公里处{pick(r, '积水 漫水 过水 水淹')}"
                f"{pick(r, '约 将近 超过 大概')}{r.randint(10, 80)}厘米，"
                f"{pick(r, '车辆无法通行 小车过不去 已封闭 只能步行 大车勉强通过')}",
        lambda: f"{place()}{pick(r, '附近 旁边 后面 上方')}{pick(r, '发生山体滑坡 山体塌方 出现裂缝 有落石')}"
                f"，{pick(r, '土方约 面积约 影响约')}{r.randint(20, 900)}{pick(r, '立方米 平方米 米')}",
        lambda: f"{who()}{pick(r, '家 屋 老宅')}{r.randint(1, 3)}间{pick(r, '房屋墙体开裂 屋顶漏水 土坯房倒塌 厨房进水')}"
                f"，{pick(r, '已转移 已安置 疏散了')}{r.randint(2, 7)}人",
        lambda: f"{when(r)}{pick(r, '起停电 开始断电 变压器跳闸 线路被树压断')}，"
                f"{pick(r, '涉及 影响 约')}{n * 3}户",
        lambda: pick(r, "移动信号时有时无 固定电话中断 光缆被冲断 基站停电 只有卫星电话能打通 "
                        "对讲机联系正常 网络全部中断"),
        lambda: f"{pick(r, '河水 溪水 库水 江水')}{pick(r, '上涨很快 持续上涨 涨了') }，"
                f"水位{pick(r, '距堤顶约 离桥面 超警戒')}{r.randint(1, 9)}0厘米",
        lambda: f"已{pick(r, '组织 安排 发动')}{n}名{pick(r, '党员干部 民兵 村民 志愿者 网格员')}"
                f"{pick(r, '巡查 值守 排查隐患 挨家挨户通知')}，{pick(r, '暂无人员伤亡 无人受伤 一人轻伤已送医')}",
        lambda: f"{place()}{pick(r, '被淹 进水 受淹')}，{r.randint(2, 60)}亩"
                f"{pick(r, '水稻 玉米 茶叶 蔬菜 大棚 鱼塘')}{pick(r, '受灾 绝收 倒伏 被冲毁')}",
        lambda: f"{pick(r, '需要 急需 请求调拨 缺少')}{pick(r, '沙袋 编织袋 救生衣 帐篷 棉被 饮用水')}"
                f"{n * 10}{pick(r, '只 件 顶 箱')}、{pick(r, '发电机 抽水泵 冲锋舟 手电筒')}{r.randint(1, 9)}台",
        lambda: f"{who()}{pick(r, '独居 年纪大 腿脚不好 卧床')}，{pick(r, '请求帮助转移 需要担架 已背到安置点')}",
        lambda: f"{road()}{pick(r, '有树木倒伏 电杆倾斜 路基冲毁 桥面开裂')}，{pick(r, '已拉警戒线 已派人看守 禁止通行 正在清理')}",
        lambda: f"{when(r)}{pick(r, '雨量明显加大 雨势减弱 又下暴雨 冰雹')}，{place()}{pick(r, '排水沟堵塞 积水退了 开始漫水')}",
        lambda: f"{r.randint(3, 40)}户{n * 2}人{pick(r, '已转移到 暂住 安置在')}{place()}{pick(r, '安置点 临时住所 亲戚家')}",
        lambda: f"{place()}{pick(r, '水渠决口 堤坝渗水 涵洞堵塞 挡墙垮塌')}约{r.randint(2, 15)}米，{pick(r, '正在抢修 等待机械 已用沙袋封堵')}",
        lambda: f"请派{pick(r, '挖掘机 装载机 医疗队 消防员 电力抢修队')}{pick(r, '清理 支援 到')}{road()}",
        lambda: f"{v}村{place()}一带{pick(r, '低洼处 老房子 地下室')}进水，深约{r.randint(20, 120)}厘米",
        lambda: f"{pick(r, '截至 到 今天')}{when(r)}，{pick(r, '全村 本组 村里')}{pick(r, '共 累计')}"
                f"{pick(r, '转移 安置 排查')}{n * 4}人",
        lambda: f"{pick(r, '学校 卫生室 敬老院 村委会')}{pick(r, '已停课 正常 断水 暂作安置点')}",
    ]
    return r.choice(opts)()


TITLES = [
    lambda r, v: f"{v}村{r.choice(ROADS)}积水",
    lambda r, v: f"{v}村{r.choice(PLACES)}山体滑坡",
    lambda r, v: f"{v}村房屋受损",
    lambda r, v: f"{v}村停电",
    lambda r, v: f"{v}村通信中断",
    lambda r, v: f"{v}村群众转移情况",
    lambda r, v: f"{r.choice(PLACES)}险情",
    lambda r, v: f"{v}村灾情报告（第{r.randint(2, 9)}报）",
    lambda r, v: f"{v}村{r.choice(ROADS)}塌方，请求支援",
    lambda r, v: "河水上涨",
    lambda r, v: f"{v}村农作物受灾",
]
CATEGORIES = ["灾情", "道路", "水情", "地质灾害", "电力", "通信", "人员转移", "农业"]


def main():
    lo, hi = int(sys.argv[1]), int(sys.argv[2])
    villages = int(sys.argv[3]) if len(sys.argv) > 3 else 24
    county = sys.argv[4] if len(sys.argv) > 4 else "330110"
    for k in range(lo, hi):
        r = random.Random(k * 7919 + villages)
        vi = r.randrange(villages)
        v = VILLAGE[vi % len(VILLAGE)]
        region = f"{county}{1 + vi // 6:03d}{1 + vi % 6 + 200:03d}"
        title = r.choice(TITLES)(r, v)
        # Mostly a sentence or two; now and then a long account.
        ns = r.choice([1, 1, 1, 1, 2, 2, 2, 3, 3, 5])
        text = "；".join(sentence(r, v) for _ in range(ns)) + "。"
        lat = lon = ""
        if r.random() < 0.5:
            lat = f"{30.1 + vi * 0.013 + r.random() * 0.01:.6f}"
            lon = f"{119.9 + vi * 0.011 + r.random() * 0.01:.6f}"
        print("\t".join([str(vi), region, r.choice(CATEGORIES), title, text, lat, lon]))


if __name__ == "__main__":
    main()
