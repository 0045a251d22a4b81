/* features/exchange/emergency/messages.ts - UI text of the emergency bureau's statistics,
 * zh-CN (default) and en; merged into the app's messages by i18n/index.ts. */
export const zhCN = {
  emergency: {
    nav: '应急局统计',
    by: { subdistrict: '按街道', industry: '按行业' },
    ours: '本区',
    theirs: '应急局',
    col: {
      name: '名称',
      planned: '计划',
      actual: '实际',
      difference: '差值',
      received: '接诉时间',
      industries: '各行业数',
      state: '比对',
    },
    same: '一致',
    differs: '不一致',
    missing: '未报送',
    unknownName: '（未匹配）',
    generated: '本区数据读取于 {time}',
    live: '实时更新',
    noRows: '本轮暂无数据',
  },
};

export const en = {
  emergency: {
    nav: 'Emergency bureau',
    by: { subdistrict: 'By subdistrict', industry: 'By industry' },
    ours: 'Ours',
    theirs: 'Bureau',
    col: {
      name: 'Name',
      planned: 'Plan',
      actual: 'Actual',
      difference: 'Difference',
      received: 'Received',
      industries: 'Per industry',
      state: 'Check',
    },
    same: 'Same',
    differs: 'Differs',
    missing: 'Not sent',
    unknownName: '(not matched)',
    generated: 'Our figures read at {time}',
    live: 'Live',
    noRows: 'No figures for this round yet',
  },
};
