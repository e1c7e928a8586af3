"""The synthetic province: Guangdong's eight home cities and their districts and counties.

Reference data, not drawn: the same for every world. Codes are the six-digit administrative
division codes (GB/T 2260); residents and GDP are of the size the statistical yearbooks give for
2023 (resident population, GDP in yuan), so that a city's counties add up to about the city's
real totals. The province holds only these eight cities, so its row is their sum, not the whole
of Guangdong. Cities outside the province (where fraud SIMs and mule accounts are often
registered) are not in the table: their subscribers and accounts carry the city's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RegionLevel = Literal["province", "city", "county"]
PROVINCE_CODE = "440000"
PROVINCE_NAME = "Guangdong"

TEN_THOUSAND = 10_000  # the yearbooks count residents in 万人
HUNDRED_MILLION = 100_000_000  # and GDP in 亿元


@dataclass(frozen=True)
class Region:
    """One row of the regions table."""

    code: str
    name: str
    parent_code: str | None
    level: RegionLevel
    population: int  # residents
    gdp: float  # yuan
    area_km2: float


# (code, name, residents in 10,000s, GDP in 100 million yuan, area in km²), by city.
_COUNTIES: dict[tuple[str, str], tuple[tuple[str, str, float, float, float], ...]] = {
    ("440300", "Shenzhen"): (
        ("440303", "Luohu", 113.0, 2900, 78.8),
        ("440304", "Futian", 155.0, 6000, 78.7),
        ("440305", "Nanshan", 182.0, 8900, 187.5),
        ("440306", "Bao'an", 455.0, 5100, 396.6),
        ("440307", "Longgang", 420.0, 5200, 682.8),  # with the Dapeng new district, legally part of it
        ("440308", "Yantian", 21.5, 900, 74.6),
        ("440309", "Longhua", 258.0, 3000, 175.6),
        ("440310", "Pingshan", 55.0, 1100, 166.3),
        ("440311", "Guangming", 112.0, 1450, 155.4),
    ),
    ("440100", "Guangzhou"): (
        ("440103", "Liwan", 112.0, 1400, 59.1),
        ("440104", "Yuexiu", 102.5, 3900, 33.8),
        ("440105", "Haizhu", 179.5, 2300, 90.4),
        ("440106", "Tianhe", 224.0, 6500, 96.3),
        ("440111", "Baiyun", 375.0, 2900, 795.8),
        ("440112", "Huangpu", 120.0, 4300, 484.2),
        ("440113", "Panyu", 282.0, 3100, 529.9),
        ("440114", "Huadu", 166.0, 1900, 970.0),
        ("440115", "Nansha", 93.0, 2300, 803.0),
        ("440117", "Conghua", 72.5, 450, 1974.5),
        ("440118", "Zengcheng", 156.5, 1300, 1616.5),
    ),
    # Dongguan (like Zhongshan) has no county-level divisions: its towns answer to the city. These
    # are the six zones (片区) of its town planning, given made-up codes 441901..441906.
    ("441900", "Dongguan"): (
        ("441901", "Chengqu", 205.0, 2700, 330.0),  # Guancheng, Dongcheng, Nancheng, Wanjiang
        ("441902", "Songshanhu", 150.0, 2100, 420.0),  # Songshan Lake, Dalang, Dalingshan, Liaobu
        ("441903", "Shuixiang", 100.0, 800, 340.0),  # the riverside towns: Machong, Zhongtang, Daojiao
        ("441904", "Binhai", 245.0, 2600, 440.0),  # Humen, Chang'an, Houjie, Shatian
        ("441905", "Dongbu", 170.0, 1600, 520.0),  # Changping, Qiaotou, Xiegang, Hengli
        ("441906", "Dongnan Linshen", 179.0, 1640, 410.0),  # Tangxia, Fenggang, Qingxi, Zhangmutou
    ),
    ("440600", "Foshan"): (
        ("440604", "Chancheng", 130.0, 2100, 153.2),
        ("440605", "Nanhai", 370.0, 3950, 1071.8),
        ("440606", "Shunde", 325.0, 4200, 806.2),
        ("440607", "Sanshui", 85.0, 1800, 874.2),
        ("440608", "Gaoming", 51.0, 1200, 938.0),
    ),
    ("441300", "Huizhou"): (
        ("441302", "Huicheng", 182.0, 1900, 1166.0),  # with the Zhongkai high-tech zone
        ("441303", "Huiyang", 168.0, 1500, 1212.0),  # with the Daya Bay economic zone
        ("441322", "Boluo", 122.0, 1100, 2858.0),
        ("441323", "Huidong", 100.0, 900, 3530.0),
        ("441324", "Longmen", 35.0, 240, 2295.0),
    ),
    ("440400", "Zhuhai"): (
        ("440402", "Xiangzhou", 151.0, 2520, 552.0),  # with Hengqin
        ("440403", "Doumen", 61.0, 670, 674.8),
        ("440404", "Jinwan", 36.0, 1040, 509.2),
    ),
    ("440500", "Shantou"): (
        ("440507", "Longhu", 58.5, 640, 171.9),
        ("440511", "Jinping", 81.0, 580, 163.3),
        ("440512", "Haojiang", 28.0, 190, 173.8),
        ("440513", "Chaoyang", 165.0, 620, 667.8),
        ("440514", "Chaonan", 135.5, 480, 599.9),
        ("440515", "Chenghai", 80.0, 610, 389.8),
        ("440523", "Nan'ao", 6.0, 40, 114.7),
    ),
    ("440800", "Zhanjiang"): (
        ("440802", "Chikan", 42.5, 440, 79.0),
        ("440803", "Xiashan", 57.0, 580, 111.0),
        ("440804", "Potou", 34.0, 170, 382.0),
        ("440811", "Mazhang", 50.0, 330, 868.0),
        ("440823", "Suixi", 89.0, 370, 2141.0),
        ("440825", "Xuwen", 60.0, 270, 1954.0),
        ("440881", "Lianjiang", 136.0, 660, 2835.0),
        ("440882", "Leizhou", 143.0, 520, 3709.0),
        ("440883", "Wuchuan", 91.5, 450, 848.0),
    ),
}
"""In the order of :data:`fraudkit.synth.registry.HOME_REGIONS` (the world's internal city index)."""

AWAY_CITY_CODES = ("450100", "530100", "350200", "430100", "460100", "520100")
"""Nanning, Kunming, Xiamen, Changsha, Haikou, Guiyang: the codes that subscribers and accounts
registered outside the province carry (in the order of ``registry.AWAY_REGIONS``)."""


def _county(city: str, row: tuple[str, str, float, float, float]) -> Region:
    code, name, residents, gdp, area = row
    return Region(code, name, city, "county", round(residents * TEN_THOUSAND), float(gdp) * HUNDRED_MILLION, area)


COUNTIES: tuple[Region, ...] = tuple(_county(city, row) for (city, _), rows in _COUNTIES.items() for row in rows)
"""Every county, grouped by city in the cities' order."""


def _total(code: str, name: str, parent: str | None, level: RegionLevel, parts: tuple[Region, ...]) -> Region:
    """A region whose residents, GDP and area are the sum of its parts'."""
    return Region(
        code,
        name,
        parent,
        level,
        sum(p.population for p in parts),
        float(sum(p.gdp for p in parts)),
        round(sum(p.area_km2 for p in parts), 1),
    )


CITIES: tuple[Region, ...] = tuple(
    _total(code, name, PROVINCE_CODE, "city", tuple(c for c in COUNTIES if c.parent_code == code))
    for code, name in _COUNTIES
)
"""The eight home cities, in the order of ``registry.HOME_REGIONS``."""

PROVINCE = _total(PROVINCE_CODE, PROVINCE_NAME, None, "province", CITIES)

REGION_ROWS: tuple[Region, ...] = (PROVINCE, *CITIES, *COUNTIES)
"""The regions table: the province, its cities, their counties."""

COUNTY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTIES)
CITY_CODES: tuple[str, ...] = tuple(c.code for c in CITIES)
COUNTY_CITY: tuple[int, ...] = tuple(CITY_CODES.index(c.parent_code or "") for c in COUNTIES)
"""The home city (index into :data:`CITIES`) of each county."""
