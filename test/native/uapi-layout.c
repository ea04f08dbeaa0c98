/*
 * Prints the kernel uapi facts fwsec's protocol/tee.ts and
 * protocol/rpmb/mmc-ioctl.ts encode by hand: ioctl numbers, struct sizes
 * and field offsets, as the machine's gcc computes them from
 * <linux/tee.h> and <linux/mmc/ioctl.h>. Built and run by
 * test/protocol/tee-layout.test.ts; never committed as a binary.
 */
#include <linux/mmc/ioctl.h>
#include <linux/tee.h>
#include <stddef.h>
#include <stdio.h>

#define OFF(t, f) printf("\"%s.%s\":%zu,", #t, #f, offsetof(struct t, f))
#define SZ(t) printf("\"sizeof %s\":%zu,", #t, sizeof(struct t))
#define IOC(n) printf("\"%s\":%lu,", #n, (unsigned long)(n))

int main(void)
{
	printf("{");
	IOC(TEE_IOC_VERSION);
	IOC(TEE_IOC_SHM_ALLOC);
	IOC(TEE_IOC_OPEN_SESSION);
	IOC(TEE_IOC_INVOKE);
	IOC(TEE_IOC_CANCEL);
	IOC(TEE_IOC_CLOSE_SESSION);
	IOC(MMC_IOC_CMD);
	IOC(MMC_IOC_MULTI_CMD);
	IOC(TEE_MAX_ARG_SIZE);
	IOC(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT);
	IOC(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT);
	IOC(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT);
	IOC(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT);
	IOC(TEE_IOCTL_LOGIN_PUBLIC);
	IOC(TEE_IMPL_ID_OPTEE);
	SZ(tee_ioctl_version_data);
	OFF(tee_ioctl_version_data, impl_id);
	OFF(tee_ioctl_version_data, impl_caps);
	OFF(tee_ioctl_version_data, gen_caps);
	SZ(tee_ioctl_shm_alloc_data);
	OFF(tee_ioctl_shm_alloc_data, size);
	OFF(tee_ioctl_shm_alloc_data, flags);
	OFF(tee_ioctl_shm_alloc_data, id);
	SZ(tee_ioctl_buf_data);
	OFF(tee_ioctl_buf_data, buf_ptr);
	OFF(tee_ioctl_buf_data, buf_len);
	SZ(tee_ioctl_param);
	OFF(tee_ioctl_param, attr);
	OFF(tee_ioctl_param, a);
	OFF(tee_ioctl_param, b);
	OFF(tee_ioctl_param, c);
	SZ(tee_ioctl_open_session_arg);
	OFF(tee_ioctl_open_session_arg, uuid);
	OFF(tee_ioctl_open_session_arg, clnt_uuid);
	OFF(tee_ioctl_open_session_arg, clnt_login);
	OFF(tee_ioctl_open_session_arg, cancel_id);
	OFF(tee_ioctl_open_session_arg, session);
	OFF(tee_ioctl_open_session_arg, ret);
	OFF(tee_ioctl_open_session_arg, ret_origin);
	OFF(tee_ioctl_open_session_arg, num_params);
	OFF(tee_ioctl_open_session_arg, params);
	SZ(tee_ioctl_invoke_arg);
	OFF(tee_ioctl_invoke_arg, func);
	OFF(tee_ioctl_invoke_arg, session);
	OFF(tee_ioctl_invoke_arg, cancel_id);
	OFF(tee_ioctl_invoke_arg, ret);
	OFF(tee_ioctl_invoke_arg, ret_origin);
	OFF(tee_ioctl_invoke_arg, num_params);
	OFF(tee_ioctl_invoke_arg, params);
	SZ(tee_ioctl_cancel_arg);
	OFF(tee_ioctl_cancel_arg, cancel_id);
	OFF(tee_ioctl_cancel_arg, session);
	SZ(tee_ioctl_close_session_arg);
	SZ(mmc_ioc_cmd);
	OFF(mmc_ioc_cmd, write_flag);
	OFF(mmc_ioc_cmd, is_acmd);
	OFF(mmc_ioc_cmd, opcode);
	OFF(mmc_ioc_cmd, arg);
	OFF(mmc_ioc_cmd, response);
	OFF(mmc_ioc_cmd, flags);
	OFF(mmc_ioc_cmd, blksz);
	OFF(mmc_ioc_cmd, blocks);
	OFF(mmc_ioc_cmd, postsleep_min_us);
	OFF(mmc_ioc_cmd, postsleep_max_us);
	OFF(mmc_ioc_cmd, data_timeout_ns);
	OFF(mmc_ioc_cmd, cmd_timeout_ms);
	OFF(mmc_ioc_cmd, data_ptr);
	SZ(mmc_ioc_multi_cmd);
	OFF(mmc_ioc_multi_cmd, num_of_cmds);
	OFF(mmc_ioc_multi_cmd, cmds);
	printf("\"end\":0}\n");
	return 0;
}
