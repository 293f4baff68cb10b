/*
** names.c: Chinese-looking place names for the fictional demo county, made
** of two syllables from a small table of characters common in south-west
** Chinese place names (mountain, stream, terrace, dam ...), with pinyin.
*/
#include "demo/demo_int.h"

#include <stdbool.h>
#include <stdio.h>

const struct demo_syllable demo_syllables[] = {
    {"青", "Qing"}, {"山", "Shan"}, {"石", "Shi"},  {"河", "He"},    {"溪", "Xi"},
    {"岭", "Ling"}, {"坪", "Ping"}, {"坝", "Ba"},   {"沟", "Gou"},   {"岩", "Yan"},
    {"桥", "Qiao"}, {"龙", "Long"}, {"凤", "Feng"}, {"云", "Yun"},   {"松", "Song"},
    {"竹", "Zhu"},  {"茶", "Cha"},  {"花", "Hua"},  {"田", "Tian"},  {"塘", "Tang"},
    {"湾", "Wan"},  {"水", "Shui"}, {"白", "Bai"},  {"黄", "Huang"}, {"红", "Hong"},
    {"高", "Gao"},  {"大", "Da"},   {"小", "Xiao"}, {"上", "Shang"}, {"下", "Xia"},
    {"新", "Xin"},  {"安", "An"},   {"平", "Ping"}, {"和", "He"},    {"兴", "Xing"},
    {"丰", "Feng"}, {"林", "Lin"},  {"营", "Ying"}, {"寨", "Zhai"},  {"坡", "Po"},
    {"洞", "Dong"}, {"口", "Kou"},  {"梅", "Mei"},  {"杉", "Shan"},  {"枫", "Feng"},
    {"泉", "Quan"}, {"峰", "Feng"}, {"垭", "Ya"},   {"槽", "Cao"},   {"坳", "Ao"},
    {"鹤", "He"},   {"麻", "Ma"},   {"柳", "Liu"},  {"桃", "Tao"},   {"岚", "Lan"},
};
const size_t demo_syllables_len = RL_ARRAY_LEN(demo_syllables);

void demo_place_name(struct demo_rng *r, char *zh, char *en)
{
    size_t a = (size_t)demo_rng_range(r, 0, (int64_t)demo_syllables_len - 1);
    size_t b;
    do
        b = (size_t)demo_rng_range(r, 0, (int64_t)demo_syllables_len - 1);
    while (b == a);
    const struct demo_syllable *x = &demo_syllables[a], *y = &demo_syllables[b];
    snprintf(zh, COUNTY_NAME_BUF, "%s%s", x->zh, y->zh);
    /* second syllable in lower case: "Qing" + "shan" */
    char low[16];
    size_t i = 0;
    for (; y->py[i] && i < sizeof low - 1; i++)
        low[i] = (char)(i == 0 ? y->py[i] - 'A' + 'a' : y->py[i]);
    low[i] = '\0';
    /* pinyin marks a syllable boundary before a, o, e: "Qing'an" */
    bool mark = low[0] == 'a' || low[0] == 'o' || low[0] == 'e';
    snprintf(en, COUNTY_NAME_BUF, "%s%s%s", x->py, mark ? "'" : "", low);
}
